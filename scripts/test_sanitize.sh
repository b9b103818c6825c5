#!/usr/bin/env bash
# Sanitizer job: builds the torch-free libraries and their test binaries with AddressSanitizer +
# UndefinedBehaviorSanitizer (gcc, CGDMER_SANITIZE=ON) in build-asan/ and runs them with leak
# detection. Covers core (test_core: FNV-1a, the ordered parallel map), the readers (test_io),
# tokenizer (test_text), shard store + loader
# (test_data), metrics/plots (test_metrics), config (test_config) and the bad-input corpus +
# fuzz regressions (test_reliability). LibTorch code is left out: libtorch itself is not
# instrumented, and building it under ASan would not fit CI's time budget.
# Needs the Debian packages scripts/setup.sh installs (run after scripts/test.sh in CI).
#   usage: scripts/test_sanitize.sh [ctest args...]
#   env:   CGDMER_ASAN_BUILD (default build-asan), CGDMER_JOBS (default nproc)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${CGDMER_ASAN_BUILD:-build-asan}"
tests=(core io text data metrics config reliability)

if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCGDMER_SANITIZE=ON \
    -DCGDMER_PCH=OFF -DCGDMER_BUILD_BENCH=OFF
fi
ninja -C "$build" -j"${CGDMER_JOBS:-$(nproc)}" "${tests[@]/#/test_}"

export OMP_WAIT_POLICY=passive
# TokenizeCli.* drives the cgdmer binary, which links LibTorch and is not built here (the main
# job runs it); every other test of these binaries runs instrumented.
export GTEST_FILTER="-TokenizeCli.*"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# fontconfig (under cairo, test_metrics' plots) keeps its config cache until exit by design.
supp="$(cd "$build" && pwd)/lsan.supp"
printf 'leak:libfontconfig.so\n' > "$supp"
export LSAN_OPTIONS="suppressions=$supp:print_suppressions=0"
regex="^($(IFS='|'; echo "${tests[*]}"))\$"
ctest --test-dir "$build" --output-on-failure -R "$regex" "$@"
