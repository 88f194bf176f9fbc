#!/usr/bin/env bash
# Helpers for backends installed from Debian packages. Source after lib.sh.
#
#   apt_install_no_start PKG...   apt-get install -y --no-install-recommends PKG...
#                                 without letting the packages' maintainer scripts start
#                                 (or leave running / enabled) their system daemons, which
#                                 would listen on 0.0.0.0 with the default ports.

_apt_sudo() {
  if [[ "$(id -u)" -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    log "need root (or passwordless sudo) to run: $*"
    return 1
  fi
}

# Stop and disable a Debian service that a package may have started.
_apt_stop_service() {
  local svc="$1"
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
    _apt_sudo systemctl disable --now "$svc" >/dev/null 2>&1 || true
  fi
  if [[ -x "/etc/init.d/$svc" ]]; then
    if _apt_sudo "/etc/init.d/$svc" status >/dev/null 2>&1; then
      log "stopping system service $svc started by its package"
      _apt_sudo "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
    fi
    if command -v update-rc.d >/dev/null 2>&1; then
      _apt_sudo update-rc.d "$svc" disable >/dev/null 2>&1 || true
    fi
  fi
}

# apt_install_no_start PKG...  (service names are taken to equal package names)
apt_install_no_start() {
  local policy=/usr/sbin/policy-rc.d created_policy=0 rc=0
  if [[ ! -e "$policy" ]]; then
    # policy-rc.d exit 101 = "action forbidden": invoke-rc.d won't start daemons.
    _apt_sudo sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
    created_policy=1
  fi
  local -a apt_env=(env DEBIAN_FRONTEND=noninteractive)
  if ! _apt_sudo "${apt_env[@]}" apt-get install -y --no-install-recommends "$@" >&2; then
    log "apt-get install failed; running apt-get update and retrying"
    _apt_sudo "${apt_env[@]}" apt-get update >&2 &&
      _apt_sudo "${apt_env[@]}" apt-get install -y --no-install-recommends "$@" >&2 || rc=$?
  fi
  if ((created_policy)); then
    _apt_sudo rm -f "$policy"
  fi
  local pkg
  for pkg in "$@"; do
    _apt_stop_service "$pkg"
  done
  return "$rc"
}
