#!/usr/bin/env bash
# The test command of the LibTorch 2.x line: set up (scripts/setup_torch2.sh), then run every
# test binary of ./build-torch2 through ctest, on the CPU.
#   usage: scripts/test_torch2.sh [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_torch2.sh
bash scripts/fetch_test_weights.sh || echo "test_torch2.sh: scripts/fetch_test_weights.sh failed; the BertHf tests will fail" >&2
export OMP_WAIT_POLICY=passive
ctest --test-dir build-torch2 --output-on-failure "$@"
