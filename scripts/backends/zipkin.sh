#!/usr/bin/env bash
# Zipkin server (executable jar from Maven Central), in-memory storage, loopback only.
#
# Usage:
#   zipkin.sh install          fetch io.zipkin:zipkin-server:<version>:jar:exec with Maven (cached)
#   zipkin.sh path             print the jar path (installs if needed)
#   zipkin.sh start RUN_DIR    start in background (RUN_DIR/zipkin.pid, RUN_DIR/zipkin.log)
#   zipkin.sh stop RUN_DIR
#
# Environment:
#   ZIPKIN_PORT            HTTP port on 127.0.0.1 (default 19411)
#   ZIPKIN_JAVA_OPTS       JVM options (default "-Xms64m -Xmx512m -XX:+UseSerialGC")
#   ZIPKIN_START_TIMEOUT   seconds to wait for GET /health == 200 (default 90)
#
# API: POST /api/v2/spans (Zipkin v2 JSON list), GET /api/v2/trace/{traceId}.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$SCRIPT_DIR/lib.sh"

ZIPKIN_VERSION="3.6.1"
ZIPKIN_PORT="${ZIPKIN_PORT:-19411}"
ZIPKIN_JAVA_OPTS="${ZIPKIN_JAVA_OPTS:--Xms64m -Xmx512m -XX:+UseSerialGC}"
ZIPKIN_START_TIMEOUT="${ZIPKIN_START_TIMEOUT:-90}"

usage() {
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

install_dir() { printf '%s/zipkin-%s\n' "$(a2a_cache_dir)" "$ZIPKIN_VERSION"; }
jar_path() { printf '%s/zipkin-server-%s-exec.jar\n' "$(install_dir)" "$ZIPKIN_VERSION"; }

cmd_install() {
  local jar dir tmp
  jar="$(jar_path)"
  dir="$(install_dir)"
  if [[ -s "$jar" ]]; then
    log "Zipkin $ZIPKIN_VERSION already installed: $jar"
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || { log "mvn is required to fetch Zipkin"; exit 1; }
  command -v java >/dev/null 2>&1 || { log "java is required to run Zipkin"; exit 1; }
  mkdir -p "$dir"
  tmp="$(mktemp -d "$dir/.fetch.XXXXXX")"
  log "fetching io.zipkin:zipkin-server:$ZIPKIN_VERSION:jar:exec from Maven Central"
  if ! mvn -B -Dstyle.color=never dependency:copy \
      "-Dartifact=io.zipkin:zipkin-server:$ZIPKIN_VERSION:jar:exec" \
      "-DoutputDirectory=$tmp" >"$tmp/mvn.log" 2>&1; then
    tail -n 40 "$tmp/mvn.log" >&2
    rm -rf "$tmp"
    log "Maven failed to fetch Zipkin"
    exit 1
  fi
  mv "$tmp/zipkin-server-$ZIPKIN_VERSION-exec.jar" "$jar"
  rm -rf "$tmp"
  log "installed $jar"
}

cmd_start() {
  local run_dir="${1:?run dir required}"
  [[ -s "$(jar_path)" ]] || cmd_install
  mkdir -p "$run_dir"
  run_dir="$(cd "$run_dir" && pwd)"
  local pidfile="$run_dir/zipkin.pid" logfile="$run_dir/zipkin.log"
  stop_pidfile "$pidfile"
  : >"$logfile"
  if _a2a_port_open 127.0.0.1 "$ZIPKIN_PORT"; then
    log "127.0.0.1:$ZIPKIN_PORT is already in use (set ZIPKIN_PORT)"
    exit 1
  fi
  log "starting Zipkin $ZIPKIN_VERSION on 127.0.0.1:$ZIPKIN_PORT (log: $logfile)"
  # The armeria.ports[0].* properties replace Zipkin's default listener (*:9411);
  # without .address it would bind all interfaces. Quoted: "[0]" is a shell glob.
  # useJdkDnsResolver: Armeria's default Netty DNS resolver opens a UDP socket on
  # 0.0.0.0:<random>; the JDK resolver does not.
  # shellcheck disable=SC2086
  STORAGE_TYPE=mem SELF_TRACING_ENABLED=false \
    start_background "$pidfile" "$logfile" \
    java $ZIPKIN_JAVA_OPTS -Dcom.linecorp.armeria.useJdkDnsResolver=true \
    -jar "$(jar_path)" \
    '--armeria.ports[0].address=127.0.0.1' \
    "--armeria.ports[0].port=$ZIPKIN_PORT" \
    '--armeria.ports[0].protocols[0]=http'
  if ! wait_for_http "http://127.0.0.1:$ZIPKIN_PORT/health" "$ZIPKIN_START_TIMEOUT" "$pidfile"; then
    log "Zipkin failed to start; last log lines:"
    tail -n 40 "$logfile" >&2
    stop_pidfile "$pidfile"
    exit 1
  fi
  log "Zipkin ready on http://127.0.0.1:$ZIPKIN_PORT (pid $(<"$pidfile"))"
}

cmd_stop() {
  local run_dir="${1:?run dir required}"
  stop_pidfile "$run_dir/zipkin.pid"
}

case "${1:-}" in
  install) cmd_install ;;
  path) [[ -s "$(jar_path)" ]] || cmd_install >&2; jar_path ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *) usage ;;
esac
