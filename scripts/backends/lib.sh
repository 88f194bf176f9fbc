#!/usr/bin/env bash
# Shared helpers for scripts/backends/*.sh. Source this file; do not execute it.
#
# Stable interface (do not change signatures):
#   a2a_cache_dir                              -> echoes (and creates) the per-user cache dir
#   log MSG...                                 -> message to stderr
#   wait_for_http URL TIMEOUT_SECONDS [PIDFILE]  -> 0 once URL answers 2xx; 1 on timeout / process death
#   wait_for_port HOST PORT TIMEOUT [PIDFILE]    -> 0 once HOST:PORT accepts TCP; 1 on timeout / death
#   stop_pidfile PIDFILE                       -> TERM, then KILL after a grace period; tolerates gone pid
#   start_background PIDFILE LOGFILE CMD ARGS... -> starts CMD detached, writes its pid to PIDFILE

if [[ -n "${__A2A_BACKENDS_LIB_SOURCED:-}" ]]; then
  return 0
fi
__A2A_BACKENDS_LIB_SOURCED=1

# Echo (and mkdir -p) the cache root shared by all backend scripts. Lives outside
# the repository so fresh clones (CI) reuse previously built/downloaded binaries.
a2a_cache_dir() {
  local dir="${XDG_CACHE_HOME:-$HOME/.cache}/a2a-trace-collector"
  mkdir -p "$dir"
  printf '%s\n' "$dir"
}

log() {
  printf '[%s] %s\n' "$(basename -- "${0:-backend}")" "$*" >&2
}

# _a2a_pid_alive PIDFILE -> 0 if the pid in PIDFILE is running (or PIDFILE empty/unset).
_a2a_pidfile_alive() {
  local pidfile="${1:-}"
  [[ -z "$pidfile" ]] && return 0
  [[ -f "$pidfile" ]] || return 1
  local pid
  pid="$(<"$pidfile")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null
}

# _a2a_http_ok URL -> 0 if URL answers with a 2xx status.
_a2a_http_ok() {
  local url="$1"
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null
    return $?
  fi
  # Fallback without curl: minimal HTTP/1.0 GET over bash /dev/tcp (http:// only).
  local rest hostport path host port line
  rest="${url#http://}"
  hostport="${rest%%/*}"
  path="/${rest#*/}"
  [[ "$rest" == "$hostport" ]] && path="/"
  host="${hostport%%:*}"
  port="${hostport##*:}"
  [[ "$port" == "$hostport" ]] && port=80
  (
    exec 3<>"/dev/tcp/$host/$port" || exit 1
    printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$hostport" >&3
    IFS= read -r -t 2 line <&3 || exit 1
    [[ "$line" =~ ^HTTP/[0-9.]+\ 2[0-9][0-9] ]]
  ) 2>/dev/null
}

# _a2a_port_open HOST PORT -> 0 if a TCP connection succeeds.
_a2a_port_open() {
  local host="$1" port="$2"
  if command -v timeout >/dev/null 2>&1; then
    # shellcheck disable=SC2016 # $0/$1 are expanded by the inner bash
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null
  else
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
  fi
}

# wait_for_http URL TIMEOUT_SECONDS [PIDFILE]
wait_for_http() {
  local url="$1" timeout="$2" pidfile="${3:-}"
  local deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    if ! _a2a_pidfile_alive "$pidfile"; then
      log "process from $pidfile exited while waiting for $url"
      return 1
    fi
    if _a2a_http_ok "$url"; then
      return 0
    fi
    sleep 0.5
  done
  log "timed out after ${timeout}s waiting for $url"
  return 1
}

# wait_for_port HOST PORT TIMEOUT [PIDFILE]
wait_for_port() {
  local host="$1" port="$2" timeout="$3" pidfile="${4:-}"
  local deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    if ! _a2a_pidfile_alive "$pidfile"; then
      log "process from $pidfile exited while waiting for $host:$port"
      return 1
    fi
    if _a2a_port_open "$host" "$port"; then
      return 0
    fi
    sleep 0.5
  done
  log "timed out after ${timeout}s waiting for $host:$port"
  return 1
}

# stop_pidfile PIDFILE -- TERM the process (group), KILL after a grace period
# (A2A_STOP_GRACE_SECONDS, default 5). Removes PIDFILE. Tolerates a missing/dead pid.
stop_pidfile() {
  local pidfile="$1"
  local grace="${A2A_STOP_GRACE_SECONDS:-5}"
  if [[ ! -f "$pidfile" ]]; then
    return 0
  fi
  local pid
  pid="$(<"$pidfile")"
  if [[ ! "$pid" =~ ^[0-9]+$ ]] || ! kill -0 "$pid" 2>/dev/null; then
    rm -f "$pidfile"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + grace))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid did not exit after ${grace}s; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  rm -f "$pidfile"
  return 0
}

# start_background PIDFILE LOGFILE CMD ARGS...
# Starts CMD detached (own session, stdin from /dev/null, stdout+stderr appended to
# LOGFILE) so it survives the calling script and does not hold the caller's pipes
# open (important for Node child_process callers). Writes the pid of CMD itself.
start_background() {
  local pidfile="$1" logfile="$2"
  shift 2
  mkdir -p "$(dirname -- "$pidfile")" "$(dirname -- "$logfile")"
  local pid
  if command -v setsid >/dev/null 2>&1; then
    setsid nohup "$@" </dev/null >>"$logfile" 2>&1 &
  else
    nohup "$@" </dev/null >>"$logfile" 2>&1 &
  fi
  pid=$!
  printf '%s\n' "$pid" >"$pidfile"
}
