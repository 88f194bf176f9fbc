#!/usr/bin/env bash
# A Python venv with the OpenTelemetry Python SDK and OTLP exporters from PyPI (pinned in
# scripts/python-otel-requirements.txt), for the end-to-end tests' Python agent.
#
# Usage:
#   python-otel.sh install    create the venv (cached outside the repo, reused)
#   python-otel.sh python     print the venv's python path on stdout (installs first if needed)
#
# Environment:
#   PYTHON                    the interpreter to build the venv from (default python3)
#
# The venv lives in $(a2a_cache_dir)/python-otel-<hash of requirements and python version>/; it is
# built in a temporary directory and renamed into place, so an interrupted install is never reused.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=backends/lib.sh
source "$SCRIPT_DIR/backends/lib.sh"

PYTHON="${PYTHON:-python3}"
REQUIREMENTS="$SCRIPT_DIR/python-otel-requirements.txt"

usage() {
  sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

venv_dir() {
  local key
  key="$({ cat "$REQUIREMENTS"; "$PYTHON" --version 2>&1; } | sha256sum | cut -c1-12)"
  printf '%s/python-otel-%s\n' "$(a2a_cache_dir)" "$key"
}

cmd_install() {
  local dir
  dir="$(venv_dir)"
  if [[ -x "$dir/bin/python" ]]; then
    log "python venv already installed: $dir"
    return 0
  fi
  local staging="$dir.tmp.$$"
  rm -rf "$staging"
  log "creating python venv with $(grep -v '^#' "$REQUIREMENTS" | tr '\n' ' ')"
  "$PYTHON" -m venv "$staging" >&2
  "$staging/bin/python" -m pip install --quiet --no-input -r "$REQUIREMENTS" >&2
  # Only bin/python is used: it finds the venv from its own path, so the venv survives the rename
  # (the console scripts in bin/ would still name the staging path).
  if ! mv -T "$staging" "$dir" 2>/dev/null; then
    # Another install won the race; keep its venv.
    rm -rf "$staging"
  fi
  [[ -x "$dir/bin/python" ]] || { log "python venv install failed: $dir"; exit 1; }
  log "python venv ready: $dir"
}

cmd_python() {
  cmd_install
  printf '%s/bin/python\n' "$(venv_dir)"
}

case "${1:-}" in
  install) cmd_install ;;
  python) cmd_python ;;
  *) usage ;;
esac
