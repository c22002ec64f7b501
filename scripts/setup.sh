#!/usr/bin/env bash
# Set up a fresh Debian machine for tflm_py: system packages (cross compiler, QEMU,
# valgrind) and a virtual environment .venv with the package and its test extras.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs="gcc g++ make gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm valgrind"
missing=""
for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
echo "setup done: .venv ready ($(.venv/bin/tflm-py --version))"
