#!/usr/bin/env bash
# Prometheus (Debian package "prometheus", which also ships promtool), loopback only.
#
# Usage:
#   prometheus.sh install          apt-get install prometheus (daemon not started/enabled)
#   prometheus.sh start RUN_DIR    start in background (RUN_DIR/prometheus.pid, RUN_DIR/prometheus.log,
#                                  TSDB in RUN_DIR/data)
#   prometheus.sh stop RUN_DIR
#
# Environment:
#   PROMETHEUS_CONFIG          config file (default: a minimal self-scrape config written
#                              to RUN_DIR/prometheus.yml)
#   PROMETHEUS_PORT            HTTP port on 127.0.0.1 (default 19090)
#   PROMETHEUS_EXTRA_ARGS      extra flags, word-split (default empty)
#   PROMETHEUS_START_TIMEOUT   seconds to wait for GET /-/ready (default 60)
#
# Started with --rules.alert.resend-delay=1s and --web.enable-lifecycle
# (POST /-/reload re-reads the config and rule files).
# Rule unit tests: `promtool test rules FILE...` (promtool is on PATH after install).
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$SCRIPT_DIR/lib.sh"
# shellcheck source=apt-lib.sh
source "$SCRIPT_DIR/apt-lib.sh"

PROMETHEUS_PORT="${PROMETHEUS_PORT:-19090}"
PROMETHEUS_EXTRA_ARGS="${PROMETHEUS_EXTRA_ARGS:-}"
PROMETHEUS_START_TIMEOUT="${PROMETHEUS_START_TIMEOUT:-60}"
PROMETHEUS_BIN=/usr/bin/prometheus
PROMTOOL_BIN=/usr/bin/promtool

usage() {
  sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

cmd_install() {
  if [[ -x "$PROMETHEUS_BIN" && -x "$PROMTOOL_BIN" ]]; then
    log "prometheus already installed: $("$PROMETHEUS_BIN" --version 2>&1 | head -n1)"
    return 0
  fi
  log "installing Debian package prometheus"
  apt_install_no_start prometheus
  "$PROMETHEUS_BIN" --version 2>&1 | head -n1 >&2
}

cmd_start() {
  local run_dir="${1:?run dir required}"
  [[ -x "$PROMETHEUS_BIN" ]] || cmd_install
  mkdir -p "$run_dir"
  run_dir="$(cd "$run_dir" && pwd)"
  local pidfile="$run_dir/prometheus.pid" logfile="$run_dir/prometheus.log"
  local config="${PROMETHEUS_CONFIG:-}"
  if [[ -z "$config" ]]; then
    config="$run_dir/prometheus.yml"
    cat >"$config" <<EOF
global:
  scrape_interval: 15s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:$PROMETHEUS_PORT"]
EOF
  fi
  stop_pidfile "$pidfile"
  : >"$logfile"
  if _a2a_port_open 127.0.0.1 "$PROMETHEUS_PORT"; then
    log "127.0.0.1:$PROMETHEUS_PORT is already in use (set PROMETHEUS_PORT)"
    exit 1
  fi
  log "starting Prometheus on 127.0.0.1:$PROMETHEUS_PORT with $config (log: $logfile)"
  # shellcheck disable=SC2086
  start_background "$pidfile" "$logfile" "$PROMETHEUS_BIN" \
    "--config.file=$config" \
    "--storage.tsdb.path=$run_dir/data" \
    "--web.listen-address=127.0.0.1:$PROMETHEUS_PORT" \
    --web.enable-lifecycle \
    --rules.alert.resend-delay=1s \
    $PROMETHEUS_EXTRA_ARGS
  if ! wait_for_http "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" "$PROMETHEUS_START_TIMEOUT" "$pidfile"; then
    log "Prometheus failed to start; last log lines:"
    tail -n 40 "$logfile" >&2
    stop_pidfile "$pidfile"
    exit 1
  fi
  log "Prometheus ready on http://127.0.0.1:$PROMETHEUS_PORT (pid $(<"$pidfile"))"
}

cmd_stop() {
  local run_dir="${1:?run dir required}"
  stop_pidfile "$run_dir/prometheus.pid"
}

case "${1:-}" in
  install) cmd_install ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *) usage ;;
esac
