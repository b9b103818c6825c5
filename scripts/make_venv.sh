#!/usr/bin/env bash
# Python environment for regenerating the Hugging Face parity fixture
# (tools/make_bert_hf_fixture.py): Debian's python3-torch 1.13 (system site packages, no torch
# download) plus `transformers` / `tokenizers` versions that still run on torch 1.13.
# Writes only ./.venv-fixture (ignored). Not needed to build or test cgdmer.
#   usage: scripts/make_venv.sh      then  .venv-fixture/bin/python tools/make_bert_hf_fixture.py
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-fixture
if [ ! -x "$VENV/bin/python" ]; then
  /usr/bin/python3 -m venv --system-site-packages "$VENV"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check \
  "transformers==4.40.2" "tokenizers==0.19.1"
"$VENV/bin/python" -c "import torch, transformers, tokenizers; print('make_venv: torch', torch.__version__, 'transformers', transformers.__version__, 'tokenizers', tokenizers.__version__)"
