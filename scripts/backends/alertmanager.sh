#!/usr/bin/env bash
# Alertmanager (Debian package "prometheus-alertmanager"), loopback only, clustering off.
#
# Usage:
#   alertmanager.sh install          apt-get install prometheus-alertmanager (daemon not started)
#   alertmanager.sh start RUN_DIR    start in background (RUN_DIR/alertmanager.pid,
#                                    RUN_DIR/alertmanager.log, state in RUN_DIR/am)
#   alertmanager.sh stop RUN_DIR
#
# Environment:
#   ALERTMANAGER_CONFIG          config file (default: a minimal config with a single no-op
#                                receiver written to RUN_DIR/alertmanager.yml)
#   ALERTMANAGER_PORT            HTTP port on 127.0.0.1 (default 19093)
#   ALERTMANAGER_EXTRA_ARGS      extra flags, word-split (default empty)
#   ALERTMANAGER_START_TIMEOUT   seconds to wait for GET /-/ready (default 60)
#
# API: GET /api/v2/alerts lists the alerts Prometheus has sent.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$SCRIPT_DIR/lib.sh"
# shellcheck source=apt-lib.sh
source "$SCRIPT_DIR/apt-lib.sh"

ALERTMANAGER_PORT="${ALERTMANAGER_PORT:-19093}"
ALERTMANAGER_EXTRA_ARGS="${ALERTMANAGER_EXTRA_ARGS:-}"
ALERTMANAGER_START_TIMEOUT="${ALERTMANAGER_START_TIMEOUT:-60}"
ALERTMANAGER_BIN=/usr/bin/prometheus-alertmanager

usage() {
  sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

cmd_install() {
  if [[ -x "$ALERTMANAGER_BIN" ]]; then
    log "alertmanager already installed: $("$ALERTMANAGER_BIN" --version 2>&1 | head -n1)"
    return 0
  fi
  log "installing Debian package prometheus-alertmanager"
  apt_install_no_start prometheus-alertmanager
  "$ALERTMANAGER_BIN" --version 2>&1 | head -n1 >&2
}

cmd_start() {
  local run_dir="${1:?run dir required}"
  [[ -x "$ALERTMANAGER_BIN" ]] || cmd_install
  mkdir -p "$run_dir"
  run_dir="$(cd "$run_dir" && pwd)"
  local pidfile="$run_dir/alertmanager.pid" logfile="$run_dir/alertmanager.log"
  local config="${ALERTMANAGER_CONFIG:-}"
  if [[ -z "$config" ]]; then
    config="$run_dir/alertmanager.yml"
    cat >"$config" <<'EOF'
route:
  receiver: "null"
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: "null"
EOF
  fi
  stop_pidfile "$pidfile"
  : >"$logfile"
  if _a2a_port_open 127.0.0.1 "$ALERTMANAGER_PORT"; then
    log "127.0.0.1:$ALERTMANAGER_PORT is already in use (set ALERTMANAGER_PORT)"
    exit 1
  fi
  log "starting Alertmanager on 127.0.0.1:$ALERTMANAGER_PORT with $config (log: $logfile)"
  # --cluster.listen-address= (empty) disables the gossip cluster, which would
  # otherwise listen on 0.0.0.0:9094 (TCP and UDP).
  # shellcheck disable=SC2086
  start_background "$pidfile" "$logfile" "$ALERTMANAGER_BIN" \
    "--config.file=$config" \
    "--storage.path=$run_dir/am" \
    "--web.listen-address=127.0.0.1:$ALERTMANAGER_PORT" \
    --cluster.listen-address= \
    $ALERTMANAGER_EXTRA_ARGS
  if ! wait_for_http "http://127.0.0.1:$ALERTMANAGER_PORT/-/ready" "$ALERTMANAGER_START_TIMEOUT" "$pidfile"; then
    log "Alertmanager failed to start; last log lines:"
    tail -n 40 "$logfile" >&2
    stop_pidfile "$pidfile"
    exit 1
  fi
  log "Alertmanager ready on http://127.0.0.1:$ALERTMANAGER_PORT (pid $(<"$pidfile"))"
}

cmd_stop() {
  local run_dir="${1:?run dir required}"
  stop_pidfile "$run_dir/alertmanager.pid"
}

case "${1:-}" in
  install) cmd_install ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *) usage ;;
esac
