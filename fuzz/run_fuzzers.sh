#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each, one after the other (one process, one core),
# starting from its seed corpus fuzz/corpus/<target>/, and prints executions and crashes per
# target. New interesting inputs go to BUILD/fuzz-work/<target>/ (not into the repository);
# crash/leak/timeout/oom inputs to BUILD/fuzz-artifacts/<target>/.
#   usage: fuzz/run_fuzzers.sh SECONDS [target ...]      (default: all fuzz_* targets)
#   e.g.   nice -n 10 fuzz/run_fuzzers.sh 150            (the campaign in fuzz/README.md)
#   env:   CGDMER_FUZZ_BUILD (default: build-fuzz), configured + built here if missing.
# Exit status 1 if any target crashed. A crash input becomes a regression test in
# tests/reliability/ (see fuzz/README.md).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
secs="${1:?usage: $0 SECONDS [target ...]}"
shift || true
build="${CGDMER_FUZZ_BUILD:-$root/build-fuzz}"

if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCGDMER_FUZZ=ON -DCGDMER_BUILD_BENCH=OFF \
    -DCGDMER_BUILD_TESTS=OFF -DCGDMER_PCH=OFF >/dev/null
fi
ninja -C "$build" -j1 fuzz_all >/dev/null

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for d in "$root"/fuzz/corpus/fuzz_*/; do targets+=("$(basename "$d")"); done
fi

status=0
printf '%-20s %8s %12s %10s %8s %14s %s\n' target seconds executions exec/s crashes corpus artifacts
for t in "${targets[@]}"; do
  bin="$build/fuzz/$t"
  work="$build/fuzz-work/$t"
  art="$build/fuzz-artifacts/$t"
  log="$build/fuzz-logs/$t.log"
  rm -rf "$art"; mkdir -p "$work" "$art" "$(dirname "$log")"
  rc=0
  # One process, one worker (no -jobs/-workers); -malloc_limit_mb defaults to the RSS limit,
  # so any single allocation over 2 GB is a finding too (matio's included: the MAT v5
  # pre-check in src/io/mat_v5_check.cpp bounds what it may allocate).
  t0=$SECONDS
  ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=0" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$bin" "$work" "$root/fuzz/corpus/$t" -max_total_time="$secs" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art/" >"$log" 2>&1 || rc=$?
  ran=$((SECONDS - t0))  # wall seconds actually fuzzed (less than SECONDS if it crashed)
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  n_art=$(find "$art" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
            -o -name 'oom-*' \) | wc -l)
  if [[ $rc -ne 0 && $n_art -eq 0 ]]; then n_art="rc=$rc"; fi
  [[ $rc -ne 0 || "$n_art" != 0 ]] && status=1
  # Final corpus as libFuzzer reports it: "corp: <units>/<size>" on its last status line.
  corp=$(grep -o 'corp: [0-9]*/[0-9]*[bKM]*' "$log" | tail -1 | cut -d' ' -f2)
  printf '%-20s %8s %12s %10s %8s %14s %s\n' "$t" "$ran" "${execs:-?}" "${rate:-?}" "$n_art" "${corp:-?}" \
    "$( [[ "$n_art" != 0 ]] && echo "$art (log: $log)" )"
done
exit $status
