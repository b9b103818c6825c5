#!/usr/bin/env bash
# The demo command: set up (scripts/setup.sh), then run `cgdmer demo` on the embedded real
# sample (data/sample). Output goes to ./demo-out unless --out is given.
set -euo pipefail
cd "$(dirname "$0")/.."
CGDMER_BUILD_TARGETS=cgdmer bash scripts/setup.sh   # the binary only, not the tests
exec ./build/cgdmer demo "$@"
