#!/usr/bin/env bash
# A Python venv holding the real OpenTelemetry Python SDK and its OTLP exporters (HTTP/protobuf
# and gRPC) from PyPI, pinned in scripts/python-otel-requirements.txt, for the end-to-end tests'
# Python agent (test/fixtures/python/genai_agent.py). No network beyond the package index that
# pip is configured with on this machine.
#
# Usage:
#   python-otel.sh install    create the venv if not cached (prints nothing on stdout)
#   python-otel.sh python     print the absolute path of the venv's python on stdout
#                             (installs first if needed); logs go to stderr
#
# Environment (all optional):
#   PYTHON           interpreter the venv is made from (default: python3 on PATH)
#   XDG_CACHE_HOME   cache root (default ~/.cache)
#
# The venv lives in <cache>/a2a-trace-collector/python-otel-<key>/, <key> a short hash of the
# requirements file and of the interpreter (version, implementation, platform), so a change of
# either builds a new venv. It is built in a temporary directory beside it, checked by importing
# the exporters, and renamed into place, so an interrupted install is never reused.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=backends/lib.sh
source "$SCRIPT_DIR/backends/lib.sh"

REQUIREMENTS="$SCRIPT_DIR/python-otel-requirements.txt"
PYTHON="${PYTHON:-python3}"

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -n 's/^# \{0,1\}//p' >&2
  exit "${1:-2}"
}

die() {
  log "error: $*"
  exit 1
}

# What identifies the interpreter for the cache key (a pyenv shim resolves to its real python).
python_identity() {
  "$PYTHON" -c 'import platform, sys; print(sys.implementation.name, platform.python_version(), platform.machine(), sys.abiflags, sys.base_prefix)'
}

venv_dir() {
  [[ -f "$REQUIREMENTS" ]] || die "missing $REQUIREMENTS"
  command -v "$PYTHON" >/dev/null 2>&1 || die "python interpreter '$PYTHON' not found (set PYTHON=/path/to/python3)"
  local identity key cache
  identity="$(python_identity)" || die "'$PYTHON' does not run"
  key="$({ cat "$REQUIREMENTS"; printf '%s\n' "$identity"; } | sha256sum | cut -c1-12)"
  cache="$(cd -- "$(a2a_cache_dir)" && pwd)"
  printf '%s/python-otel-%s\n' "$cache" "$key"
}

venv_ok() {
  [[ -x "$1/bin/python" && -f "$1/.a2a-installed" ]]
}

# Build the venv in a staging dir beside <dir> and rename it into place. Caller holds the lock.
build_venv() {
  local dir="$1"
  local stale
  # Leftovers of an interrupted install (we hold the lock, so nobody else is using them).
  for stale in "$dir".tmp.*; do
    [[ -e "$stale" ]] || continue
    log "removing leftover of an interrupted install: $stale"
    rm -rf "$stale"
  done
  local staging
  staging="$(mktemp -d "$dir.tmp.XXXXXX")"
  chmod 755 "$staging" # mktemp makes it 0700; the venv should read like any other dir
  # shellcheck disable=SC2064 # expand now: the path is fixed
  trap "rm -rf '$staging'" EXIT

  local start=$SECONDS
  log "creating venv with $("$PYTHON" --version 2>&1) in $staging"
  "$PYTHON" -m venv "$staging" >&2 || die "python -m venv failed"
  log "installing $(grep -Ev '^[[:space:]]*(#|$)' "$REQUIREMENTS" | head -n 3 | tr '\n' ' ')and their pinned dependencies ..."
  # --only-binary: fail fast rather than compile grpcio from source for an unusual interpreter.
  "$staging/bin/python" -m pip install --quiet --no-input --disable-pip-version-check \
    --only-binary=:all: -r "$REQUIREMENTS" >&2 || die "pip install failed"
  "$staging/bin/python" -c '
import opentelemetry.sdk.trace, opentelemetry.sdk.trace.export
import opentelemetry.exporter.otlp.proto.http.trace_exporter
import opentelemetry.exporter.otlp.proto.grpc.trace_exporter
' >&2 || die "the installed venv cannot import the OpenTelemetry SDK and exporters"
  "$staging/bin/python" -m pip freeze --all >"$staging/.a2a-installed"

  # Only bin/python is used; it finds its venv from its own path (pyvenv.cfg beside bin/), so the
  # venv works after the rename. (Console scripts in bin/ would still name the staging path.)
  # The rename is atomic: the staging dir is in the same directory as the final one.
  mv -T "$staging" "$dir" || die "could not move $staging to $dir"
  trap - EXIT
  log "python venv ready in $((SECONDS - start))s: $dir"
}

cmd_install() {
  local dir
  dir="$(venv_dir)"
  if venv_ok "$dir"; then
    log "using cached python venv $dir"
    return 0
  fi
  # Serialise concurrent installs (parallel test workers / CI jobs).
  local have_flock=0
  if command -v flock >/dev/null 2>&1; then
    have_flock=1
    exec 9>"$dir.lock"
    flock -w 1800 9 || die "timed out waiting for install lock $dir.lock"
  fi
  if venv_ok "$dir"; then
    log "using cached python venv $dir (built by a concurrent install)"
  else
    # A dir without the marker is not ours to trust (e.g. an old layout): rebuild it.
    if [[ -e "$dir" ]]; then
      log "removing incomplete venv $dir"
      rm -rf "$dir"
    fi
    (build_venv "$dir")
  fi
  if ((have_flock)); then
    exec 9>&-
  fi
  venv_ok "$dir" || die "python venv install failed: $dir"
}

cmd_python() {
  cmd_install
  printf '%s/bin/python\n' "$(venv_dir)"
}

main() {
  local cmd="${1:-}"
  shift || true
  case "$cmd" in
    install) cmd_install ;;
    python) cmd_python ;;
    -h | --help | help) usage 0 ;;
    *) usage ;;
  esac
}

main "$@"
