#!/usr/bin/env bash
# The test command: set up (scripts/setup.sh), then run every test binary through ctest.
#   usage: scripts/test.sh [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export OMP_WAIT_POLICY=passive
ctest --test-dir build --output-on-failure "$@"
