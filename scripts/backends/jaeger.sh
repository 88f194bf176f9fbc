#!/usr/bin/env bash
# Install and run a real Jaeger v2 (all-in-one, in-memory storage) on loopback
# for end-to-end tests. No Docker needed: Jaeger is built from source with Go and
# cached outside the repository, keyed by the pinned version.
#
# Usage:
#   jaeger.sh install            build if not cached; last stdout line = binary path
#   jaeger.sh start <run-dir>    install if needed, start in background, wait until ready
#   jaeger.sh stop  <run-dir>    stop the instance started with <run-dir> (idempotent)
#
# Environment (all optional):
#   JAEGER_OTLP_GRPC_PORT   (14317)  OTLP/gRPC receiver      127.0.0.1
#   JAEGER_OTLP_HTTP_PORT   (14318)  OTLP/HTTP receiver      127.0.0.1 (POST /v1/traces)
#   JAEGER_QUERY_PORT       (16686)  query HTTP API + UI     127.0.0.1 (/api/traces, /api/v3/traces)
#   JAEGER_QUERY_GRPC_PORT  (16685)  query gRPC API          127.0.0.1
#   JAEGER_START_TIMEOUT    (60)     seconds to wait for readiness in `start`
#   A2A_STOP_GRACE_SECONDS  (5)      seconds between TERM and KILL in `stop`
#   XDG_CACHE_HOME                   cache root (default ~/.cache)
#   GO                               go binary (default: `go` on PATH, else /usr/local/go/bin/go)
#
# Files in <run-dir>: jaeger.pid, jaeger.log
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$SCRIPT_DIR/lib.sh"

# --- Pinned version ---------------------------------------------------------
# Jaeger's Go module path has no /v2 suffix, so v2.x tags are not usable as Go
# module versions. Every v2 release is paired with a v1 tag carrying the same
# code: v1.76.0 == Jaeger v2.13.0 (see CHANGELOG.md "v1.76.0 / v2.13.0").
# `go install ...@v1.76.0` is rejected because go.mod has a `replace` directive,
# so we download the module source and `go build` inside a writable copy, which
# honours the replace directive (works for tags and commit hashes alike).
JAEGER_VERSION="v2.13.0"          # cache key and reported version
JAEGER_MODULE="github.com/jaegertracing/jaeger"
JAEGER_MODULE_VERSION="v1.76.0"   # Go module version with the same code
JAEGER_BUILD_DATE="2025-12-03T16:07:08Z"

CONFIG_FILE="$SCRIPT_DIR/jaeger-config.yaml"

die() {
  log "error: $*"
  exit 1
}

find_go() {
  if [[ -n "${GO:-}" ]]; then
    printf '%s\n' "$GO"
  elif command -v go >/dev/null 2>&1; then
    command -v go
  elif [[ -x /usr/local/go/bin/go ]]; then
    printf '%s\n' /usr/local/go/bin/go
  else
    return 1
  fi
}

jaeger_dir() {
  printf '%s/jaeger-%s\n' "$(a2a_cache_dir)" "$JAEGER_VERSION"
}

# Build into <cache>/jaeger-<version>/bin/jaeger. Caller holds the lock.
build_jaeger() {
  local dest="$1" bin="$2"
  local go
  go="$(find_go)" || die "Go toolchain not found (set GO=/path/to/go)"
  log "building Jaeger $JAEGER_VERSION ($JAEGER_MODULE@$JAEGER_MODULE_VERSION) with $("$go" version)"

  mkdir -p "$dest/bin"
  # Leftovers of an interrupted build (we hold the lock, so nobody else is using them).
  local stale
  for stale in "$dest"/build.*; do
    [[ -d "$stale" ]] || continue
    chmod -R u+w "$stale" 2>/dev/null || true
    rm -rf "$stale"
  done
  rm -f "$dest"/bin/jaeger.tmp.*
  local work
  work="$(mktemp -d "$dest/build.XXXXXX")"
  # Remove the scratch dir however we leave (a partial build is never installed).
  # shellcheck disable=SC2064
  trap "chmod -R u+w '$work' 2>/dev/null || true; rm -rf '$work'" EXIT

  # Keep the Go environment predictable regardless of the caller's.
  export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS=-mod=mod

  log "downloading module source ..."
  local json dir
  json="$(cd "$work" && "$go" mod download -json "$JAEGER_MODULE@$JAEGER_MODULE_VERSION")" || {
    printf '%s\n' "$json" >&2
    die "go mod download failed"
  }
  dir="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  [[ -n "$dir" && -d "$dir" ]] || {
    printf '%s\n' "$json" >&2
    die "could not locate downloaded module directory"
  }

  # The module cache is read-only; build in a writable copy (go.sum may be touched).
  cp -R "$dir" "$work/src"
  chmod -R u+w "$work/src"

  local pkg="$JAEGER_MODULE/internal/version"
  local ldflags="-s -w -X $pkg.latestVersion=$JAEGER_VERSION -X $pkg.date=$JAEGER_BUILD_DATE"
  log "compiling ./cmd/jaeger (cold builds take several minutes) ..."
  local start=$SECONDS
  (cd "$work/src" && "$go" build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$work/jaeger" ./cmd/jaeger) >&2 ||
    die "go build failed"
  "$work/jaeger" version >/dev/null 2>&1 || die "built binary does not run"

  # Atomic publish: rename within the same directory tree.
  mv -f "$work/jaeger" "$bin.tmp.$$"
  mv -f "$bin.tmp.$$" "$bin"
  log "built $bin in $((SECONDS - start))s"
}

install_jaeger() {
  local dest bin
  dest="$(jaeger_dir)"
  bin="$dest/bin/jaeger"
  if [[ -x "$bin" ]]; then
    log "using cached $bin"
    printf '%s\n' "$bin"
    return 0
  fi
  mkdir -p "$dest"
  # Serialise concurrent installs (parallel test workers / CI jobs).
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$dest/.lock"
    flock -w 1800 9 || die "timed out waiting for install lock $dest/.lock"
  fi
  if [[ ! -x "$bin" ]]; then
    (build_jaeger "$dest" "$bin")
  else
    log "using cached $bin (built by a concurrent install)"
  fi
  if command -v flock >/dev/null 2>&1; then
    exec 9>&-
  fi
  printf '%s\n' "$bin"
}

port_env_defaults() {
  export JAEGER_OTLP_GRPC_PORT="${JAEGER_OTLP_GRPC_PORT:-14317}"
  export JAEGER_OTLP_HTTP_PORT="${JAEGER_OTLP_HTTP_PORT:-14318}"
  export JAEGER_QUERY_PORT="${JAEGER_QUERY_PORT:-16686}"
  export JAEGER_QUERY_GRPC_PORT="${JAEGER_QUERY_GRPC_PORT:-16685}"
  local v
  for v in JAEGER_OTLP_GRPC_PORT JAEGER_OTLP_HTTP_PORT JAEGER_QUERY_PORT JAEGER_QUERY_GRPC_PORT; do
    if ! [[ "${!v}" =~ ^[0-9]+$ ]] || ((${!v} < 1 || ${!v} > 65535)); then
      die "$v='${!v}' is not a valid port"
    fi
  done
}

start_jaeger() {
  local run_dir="${1:-}"
  [[ -n "$run_dir" ]] || die "usage: $0 start <run-dir>"
  mkdir -p "$run_dir"
  run_dir="$(cd -- "$run_dir" && pwd)"
  local pidfile="$run_dir/jaeger.pid" logfile="$run_dir/jaeger.log"
  local timeout="${JAEGER_START_TIMEOUT:-60}"

  port_env_defaults
  [[ -f "$CONFIG_FILE" ]] || die "missing config $CONFIG_FILE"

  if [[ -f "$pidfile" ]] && kill -0 "$(<"$pidfile")" 2>/dev/null; then
    die "Jaeger already running for $run_dir (pid $(<"$pidfile")); run '$0 stop $run_dir' first"
  fi

  local bin
  bin="$(install_jaeger | tail -n 1)"

  # Refuse to start if a port is taken: otherwise a stale server could answer the
  # readiness probe while our own process is failing to bind.
  local p
  for p in "$JAEGER_OTLP_GRPC_PORT" "$JAEGER_OTLP_HTTP_PORT" "$JAEGER_QUERY_PORT" "$JAEGER_QUERY_GRPC_PORT"; do
    if _a2a_port_open 127.0.0.1 "$p"; then
      die "port 127.0.0.1:$p is already in use (override JAEGER_*_PORT)"
    fi
  done

  : >"$logfile"
  log "starting Jaeger $JAEGER_VERSION: otlp grpc=$JAEGER_OTLP_GRPC_PORT http=$JAEGER_OTLP_HTTP_PORT, query http=$JAEGER_QUERY_PORT grpc=$JAEGER_QUERY_GRPC_PORT (log: $logfile)"
  start_background "$pidfile" "$logfile" "$bin" --config "$CONFIG_FILE"

  local deadline=$((SECONDS + timeout)) ok=1
  wait_for_http "http://127.0.0.1:$JAEGER_QUERY_PORT/api/services" "$timeout" "$pidfile" &&
    wait_for_port 127.0.0.1 "$JAEGER_OTLP_HTTP_PORT" "$((deadline - SECONDS > 0 ? deadline - SECONDS : 1))" "$pidfile" &&
    wait_for_port 127.0.0.1 "$JAEGER_OTLP_GRPC_PORT" "$((deadline - SECONDS > 0 ? deadline - SECONDS : 1))" "$pidfile" &&
    kill -0 "$(<"$pidfile")" 2>/dev/null && ok=0

  if ((ok != 0)); then
    log "Jaeger failed to become ready; last log lines:"
    tail -n 40 "$logfile" >&2 || true
    stop_pidfile "$pidfile"
    exit 1
  fi
  log "Jaeger ready (pid $(<"$pidfile"))"
}

stop_jaeger() {
  local run_dir="${1:-}"
  [[ -n "$run_dir" ]] || die "usage: $0 stop <run-dir>"
  stop_pidfile "$run_dir/jaeger.pid"
  log "Jaeger stopped ($run_dir)"
}

main() {
  local cmd="${1:-}"
  shift || true
  case "$cmd" in
    install) install_jaeger ;;
    start) start_jaeger "$@" ;;
    stop) stop_jaeger "$@" ;;
    *)
      echo "usage: $0 {install | start <run-dir> | stop <run-dir>}" >&2
      exit 2
      ;;
  esac
}

main "$@"
