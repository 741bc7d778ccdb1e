#!/usr/bin/env bash
# Installs the conformance test's reference side from Debian if missing:
# /usr/bin/python3 with python3-packaging (Debian 12: packaging 23.0).
set -euo pipefail
pkgs=()
for p in python3 python3-packaging; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || pkgs+=("$p")
done
if [ ${#pkgs[@]} -gt 0 ]; then
  echo "conformance: installing from Debian: ${pkgs[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi
/usr/bin/python3 -I -c 'import packaging, sys; print("conformance: reference packaging", packaging.__version__, "on Python", sys.version.split()[0], file=sys.stderr)'
