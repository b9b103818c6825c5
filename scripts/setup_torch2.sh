#!/usr/bin/env bash
# The LibTorch 2.x line: Debian's packages (scripts/install_packages.sh), PyPI's torch wheel in
# ./.venv-torch2 (scripts/make_torch2.sh), then a Release build against it into ./build-torch2.
# The wheel is a CUDA build, so this compiles and links every target with CUDA (nvcc, NCCL and
# cuDNN from the wheel's nvidia-* packages or the system toolkit) and the binaries run on the
# CPU where there is no GPU. Idempotent.
#   usage: scripts/setup_torch2.sh [extra cmake args...]
#   env:   CGDMER_BUILD_TARGETS  targets to build (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install_packages.sh
PREFIX=$(bash scripts/make_torch2.sh)
TORCH_LIB=$(dirname "$(dirname "$PREFIX")")/lib
# TORCH_LIBRARY given, or TorchConfig's find_library would report Debian's libtorch.so.
cmake -S . -B build-torch2 -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DTORCH_LIBRARY="$TORCH_LIB/libtorch.so" "$@" >/dev/null
read -r -a targets <<< "${CGDMER_BUILD_TARGETS:-all}"
cmake --build build-torch2 -j "$(nproc)" --target "${targets[@]}"
echo "setup_torch2: built ${targets[*]} in ./build-torch2 against torch $(.venv-torch2/bin/python -c 'import torch; print(torch.__version__)')"
