#!/usr/bin/env bash
# Custom OpenTelemetry Collector (upstream gateway) built with the Collector
# Builder (ocb) from otelcol-builder.yaml, configured by otel-collector.yaml.
#
# Usage:
#   otelcol.sh install             build the Collector (cached outside the repo, reused)
#   otelcol.sh path                print the path of the built binary (builds if needed)
#   otelcol.sh validate [CONFIG]   `<bin> validate --config CONFIG` (default: $OTELCOL_CONFIG)
#   otelcol.sh start RUN_DIR       start in background (RUN_DIR/otelcol.pid, RUN_DIR/otelcol.log)
#   otelcol.sh stop RUN_DIR
#
# Environment:
#   OTELCOL_CONFIG          config file (default: <repo>/otel-collector.yaml)
#   OTELCOL_START_TIMEOUT   seconds to wait for "Everything is ready" (default 60)
#   All OTELCOL_* variables read by otel-collector.yaml (endpoints, flush interval)
#   are simply passed through to the Collector process; see that file.
#
# The binary lives in $(a2a_cache_dir)/otelcol-<ocb version>-<hash of manifest+versions>/build/.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd -- "$SCRIPT_DIR/../.." && pwd)"
# shellcheck source=lib.sh
source "$SCRIPT_DIR/lib.sh"

# Must match the versions in otelcol-builder.yaml (they move in lockstep).
OCB_VERSION="0.158.0"
MANIFEST="$REPO_ROOT/otelcol-builder.yaml"
OTELCOL_CONFIG="${OTELCOL_CONFIG:-$REPO_ROOT/otel-collector.yaml}"
OTELCOL_START_TIMEOUT="${OTELCOL_START_TIMEOUT:-60}"

usage() {
  sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

dist_name() {
  # First "name:" under "dist:" in the manifest.
  awk '/^dist:/{d=1;next} /^[^[:space:]#]/{d=0} d && $1=="name:"{print $2; exit}' "$MANIFEST"
}

build_dir() {
  local key
  key="$({ printf 'ocb=%s\n' "$OCB_VERSION"; cat "$MANIFEST"; } | sha256sum | cut -c1-16)"
  printf '%s/otelcol-%s-%s\n' "$(a2a_cache_dir)" "$OCB_VERSION" "$key"
}

binary_path() {
  printf '%s/build/%s\n' "$(build_dir)" "$(dist_name)"
}

cmd_install() {
  command -v go >/dev/null 2>&1 || { log "go is required to build the Collector"; exit 1; }
  local cache bdir bin ocb_dir ocb tmp
  cache="$(a2a_cache_dir)"
  bdir="$(build_dir)"
  bin="$(binary_path)"
  if [[ -x "$bin" ]]; then
    log "Collector already built: $bin"
    return 0
  fi
  # Serialise concurrent installs (parallel CI jobs / test workers).
  exec 9>"$cache/otelcol.lock"
  flock 9
  if [[ -x "$bin" ]]; then
    log "Collector already built: $bin"
    return 0
  fi

  ocb_dir="$cache/ocb-$OCB_VERSION"
  ocb="$ocb_dir/builder"
  if [[ ! -x "$ocb" ]]; then
    log "installing ocb v$OCB_VERSION into $ocb_dir"
    mkdir -p "$ocb_dir"
    GOBIN="$ocb_dir" go install "go.opentelemetry.io/collector/cmd/builder@v$OCB_VERSION"
  fi

  tmp="$bdir.partial"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  cp "$MANIFEST" "$tmp/otelcol-builder.yaml"
  log "building Collector (cold build takes several minutes) in $tmp"
  local start=$SECONDS
  # output_path in the manifest is relative (./build), so run from the cache dir.
  if ! (cd "$tmp" && CGO_ENABLED=0 "$ocb" --config otelcol-builder.yaml) >"$tmp/build.log" 2>&1; then
    tail -n 60 "$tmp/build.log" >&2
    log "Collector build failed (full log: $tmp/build.log)"
    exit 1
  fi
  log "Collector built in $((SECONDS - start))s"
  rm -rf "$bdir"
  mv "$tmp" "$bdir"
  "$bin" --version >&2
}

ensure_installed() {
  [[ -x "$(binary_path)" ]] || cmd_install
}

cmd_validate() {
  local config="${1:-$OTELCOL_CONFIG}"
  ensure_installed
  "$(binary_path)" validate --config "$config"
}

cmd_start() {
  local run_dir="${1:?run dir required}"
  ensure_installed
  mkdir -p "$run_dir"
  run_dir="$(cd "$run_dir" && pwd)"
  local pidfile="$run_dir/otelcol.pid" logfile="$run_dir/otelcol.log"
  stop_pidfile "$pidfile"
  : >"$logfile"
  log "starting Collector with $OTELCOL_CONFIG (log: $logfile)"
  start_background "$pidfile" "$logfile" "$(binary_path)" --config "$OTELCOL_CONFIG"
  # All receivers/exporters (listeners included) are started before this line.
  local deadline=$((SECONDS + OTELCOL_START_TIMEOUT))
  while ! grep -q 'Everything is ready' "$logfile"; do
    if ! _a2a_pidfile_alive "$pidfile" || ((SECONDS >= deadline)); then
      log "Collector failed to start; last log lines:"
      tail -n 40 "$logfile" >&2
      stop_pidfile "$pidfile"
      exit 1
    fi
    sleep 0.3
  done
  log "Collector ready (pid $(<"$pidfile"))"
}

cmd_stop() {
  local run_dir="${1:?run dir required}"
  stop_pidfile "$run_dir/otelcol.pid"
}

case "${1:-}" in
  install) cmd_install ;;
  path) ensure_installed >&2; binary_path ;;
  validate) shift; cmd_validate "$@" ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *) usage ;;
esac
