#!/usr/bin/env bash
# Installs the Debian reference tools that cross-check tests and benchmarks use:
# funpack/fpack (libcfitsio-bin), astropy (python3-astropy), wcslib-tools, and the INDI
# server with its simulator drivers (indi-bin) for the node agent's device tests, and
# Chromium for the dashboard's browser tests (driven by playwright-core; never downloaded).
# Safe to run repeatedly; does nothing when everything is present.
set -euo pipefail
need=()
command -v funpack >/dev/null 2>&1 || need+=(libcfitsio-bin)
/usr/bin/python3 -c 'import astropy' >/dev/null 2>&1 || need+=(python3-astropy)
command -v wcsware >/dev/null 2>&1 || need+=(wcslib-tools)
command -v indiserver >/dev/null 2>&1 || need+=(indi-bin)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -eq 0 ]; then
  echo "reference tools present"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "cannot install ${need[*]}: no apt-get" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
