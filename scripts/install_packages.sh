#!/usr/bin/env bash
# The Debian packages cgdmer builds, tests and runs with (installed when missing), and the
# system BLAS pointed at OpenBLAS' OpenMP build (libtorch-dev otherwise runs on the netlib
# reference BLAS, 20–30x slower). Shared by scripts/setup.sh and scripts/setup_torch2.sh.
set -euo pipefail
PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libtorch-dev libopenblas0-openmp libgloo-dev libgoogle-perftools-dev
  libcli11-dev libtomlplusplus-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libgtest-dev libbenchmark-dev
  libcairo2-dev fonts-dejavu-core libmatio-dev libutf8proc-dev zlib1g-dev libxml2-dev libdcmtk-dev
  python3-torch python3-sklearn python3-numpy python3-venv
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# libtorch's BLAS must be OpenBLAS-openmp (not reference BLAS, not the pthread variant that
# oversubscribes against torch's OpenMP threads). All three alternatives matter.
MA=/usr/lib/x86_64-linux-gnu
if [ -e "$MA/openblas-openmp/libblas.so.3" ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO update-alternatives --set libblas.so.3-x86_64-linux-gnu "$MA/openblas-openmp/libblas.so.3" >/dev/null
  $SUDO update-alternatives --set liblapack.so.3-x86_64-linux-gnu "$MA/openblas-openmp/liblapack.so.3" >/dev/null
  $SUDO update-alternatives --set libopenblas.so.0-x86_64-linux-gnu "$MA/openblas-openmp/libopenblas.so.0" >/dev/null
fi
