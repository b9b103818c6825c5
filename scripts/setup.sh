#!/usr/bin/env bash
# Set-up on a fresh Debian bookworm machine: installs the Debian packages cgdmer needs
# (scripts/install_packages.sh), then configures and builds (Release) against Debian's
# LibTorch 1.13 into ./build. Idempotent: a second run only rebuilds what changed.
# (The LibTorch 2.x line: scripts/setup_torch2.sh.)
#   usage: scripts/setup.sh [extra cmake args...]
#   env:   CGDMER_BUILD_TARGETS  targets to build (default: all — the binary, every test and
#          benchmark); the demo builds only `cgdmer`
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install_packages.sh

JOBS=$(nproc)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
# Each torch translation unit peaks at ~1.1 GB; cap jobs to memory as well as cores.
read -r -a targets <<< "${CGDMER_BUILD_TARGETS:-all}"
cmake --build build -j "$JOBS" --target "${targets[@]}"
echo "setup: built ${targets[*]} in ./build"
