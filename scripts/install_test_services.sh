#!/usr/bin/env bash
# PostgreSQL and Redis binaries for tests/integration/test_scaleout.py, which starts and stops
# its own throwaway instances on 127.0.0.1:25xxx. Installs only the packages that are missing
# (Debian/Ubuntu, as root or through sudo); a temporary policy-rc.d keeps Debian from starting
# their system services. Without apt or root rights it says so and the scale-out tests skip.
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if ! command -v initdb >/dev/null 2>&1 && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  need+=(postgresql)
fi
((${#need[@]})) || exit 0
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then as_root=(sudo); else
    echo "note: ${need[*]} missing and no root rights: the scale-out tests will be skipped" >&2
    exit 0
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "note: no apt-get to install ${need[*]}: the scale-out tests will be skipped" >&2
  exit 0
fi
echo "==> apt-get install ${need[*]} (for the scale-out tests)"
if [ ! -e /usr/sbin/policy-rc.d ]; then
  trap '${as_root[*]-} rm -f /usr/sbin/policy-rc.d' EXIT  # also when the install fails
  printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${as_root[@]}" chmod +x /usr/sbin/policy-rc.d
fi
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
