#!/usr/bin/env bash
# LibTorch 2.x for cgdmer's second line: PyPI's `torch` wheel (CUDA build; it also runs on the
# CPU) in its own venv, ./.venv-torch2 (ignored). The wheel carries LibTorch's headers,
# libraries and CMake config; its nvidia-* dependencies carry cuDNN, NCCL, cuBLAS and the CUDA
# runtime that libtorch_cuda.so loads. Prints the CMake prefix to pass to scripts/setup_torch2.sh.
#   usage: scripts/make_torch2.sh            (idempotent; ~3 GB download the first time)
#   env:   CGDMER_TORCH2_VERSION  the torch version to pin (default below)
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=${CGDMER_TORCH2_VERSION:-2.15.0}
VENV=.venv-torch2
[ -x "$VENV/bin/python" ] || /usr/bin/python3 -m venv "$VENV"
have=$("$VENV/bin/python" -c "import torch; print(torch.__version__.split('+')[0])" 2>/dev/null || true)
if [ "$have" != "$VERSION" ]; then
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "torch==$VERSION" numpy
fi
"$VENV/bin/python" -c "import torch; print('make_torch2: torch', torch.__version__, 'cuda', torch.version.cuda, 'cxx11abi', torch.compiled_with_cxx11_abi(), file=__import__('sys').stderr); print(torch.utils.cmake_prefix_path)"
