#!/usr/bin/env bash
# Runs every performance benchmark side by side in one go and writes bench/results.json:
#   GEMM roofline (bench_gemm), CG-DMER training step tiny + paper, fp32 + bf16, ours
#   (bench_train_step) and the PyTorch eager peer (bench/peer_step.py, Debian python3-torch),
#   the ECG-encoder step vs the bf16 roofline, zero-shot classify latency + embed throughput
#   (bench_classify), prepare + loader (bench_data_pipeline), and a short scaling sweep.
#   The LibTorch 2.x line beside it (LINE2=0 leaves it out): the roofline, the steps and the encoder step
#   of ours built against PyPI's torch (BUILD2) and of the same peer under that torch (PY2),
#   with the same threads, so the table sets ours 1.13 / ours 2.x / peer 1.13 / peer 2.x side
#   by side.
# Builds nothing:  bench/run_all.sh [BUILD_DIR]   (default ./build, configured with
#   -DCGDMER_BUILD_BENCH=ON; targets bench_gemm bench_train_step bench_classify bench_data_pipeline)
#   The 2.x line: scripts/setup_torch2.sh builds ./build-torch2 and ./.venv-torch2.
# Environment: THREADS (default: all cores), PAPER_BATCH (4), SWEEP=0 to skip the sweep,
#   STEPS / WARMUP for the tiny step (3 / 1; paper uses 3 / 1), OUT (default bench/results.json),
#   BUILD2 (./build-torch2) and PY2 (./.venv-torch2/bin/python) for the 2.x line, LINE2=0 to
#   leave it out.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-./build}" && pwd)
THREADS=${THREADS:-$(nproc)}
PAPER_BATCH=${PAPER_BATCH:-4}
STEPS=${STEPS:-3}
WARMUP=${WARMUP:-1}
SWEEP=${SWEEP:-1}
OUT=${OUT:-$ROOT/bench/results.json}
PY=/usr/bin/python3   # Debian's, with torch 1.13.1 (the python3 first on PATH has none)
BUILD2=${BUILD2:-$ROOT/build-torch2}
PY2=${PY2:-$ROOT/.venv-torch2/bin/python}
LINE2=${LINE2:-1}
if [ "$LINE2" = 1 ] && { [ ! -x "$BUILD2/bench/bench_train_step" ] || [ ! -x "$PY2" ]; }; then
  echo "run_all.sh: the 2.x line needs $BUILD2/bench/bench_train_step and $PY2" \
       "(scripts/setup_torch2.sh, configured with -DCGDMER_BUILD_BENCH=ON), or LINE2=0" >&2
  exit 1
fi
# Same runtime settings for ours and the peer (reference/toolchain.md): OpenMP threads that
# sleep instead of spinning when the cores are shared, and the thread count.
export OMP_WAIT_POLICY=passive OMP_NUM_THREADS=$THREADS

bin() {  # target [build dir]
  local d=${2:-$BUILD} b
  b=$d/bench/$1
  [ -x "$b" ] || b=$d/$1
  [ -x "$b" ] || { echo "run_all.sh: $1 not built in $d (ninja -C $d $1)" >&2; exit 1; }
  echo "$b"
}
# bf16 on a CPU without native bf16 (no avx512_bf16 or amx_bf16: e.g. AVX2-only AMD EPYC) runs
# emulated at a few GFLOP/s. There the paper bf16 step would take hours and the encoder's bf16
# roofline would measure the emulation, so they (and the bf16 sweep) are left out, and the
# output says so; tiny still runs in both precisions.
if grep -qE 'avx512_bf16|amx_bf16' /proc/cpuinfo; then NATIVE_BF16=1; PAPER_PREC=both; else NATIVE_BF16=0; PAPER_PREC=fp32; fi
LOG=$(mktemp -d /tmp/cgdmer_bench.XXXXXX)
echo "# logs in $LOG"
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
[ $NATIVE_BF16 = 1 ] || echo "# no native bf16 on this CPU: paper bf16 step, bf16 encoder roofline and the bf16 sweep left out"
run() {  # name, command...: tee the output into $LOG/name.log
  local name=$1; shift
  echo "## $name: $*"
  "$@" 2>&1 | tee "$LOG/$name.log" | grep -v '^RESULT '
}

run gemm "$(bin bench_gemm)" --n 2048 --reps 7 --threads "$THREADS"
for cfg in tiny paper; do
  if [ $cfg = tiny ]; then b=32 w=$WARMUP s=$STEPS p=both; else b=$PAPER_BATCH w=1 s=3 p=$PAPER_PREC; fi
  run "step_${cfg}_ours" "$(bin bench_train_step)" --mode step --config $cfg --batch $b --precision $p --warmup $w --steps $s --threads "$THREADS"
  run "step_${cfg}_peer" $PY "$ROOT/bench/peer_step.py" --config $cfg --batch $b --precision $p --warmup $w --steps $s --threads "$THREADS"
done
if [ $NATIVE_BF16 = 1 ]; then
  run encoder_ours "$(bin bench_train_step)" --mode encoder --config paper --batch 8 --precision bf16 --warmup 1 --steps 3 --threads "$THREADS"
  run encoder_peer $PY "$ROOT/bench/peer_step.py" --mode encoder --config paper --batch 8 --precision bf16 --warmup 1 --steps 3 --threads "$THREADS"
fi
run classify "$(bin bench_classify)" --config tiny --threads "$THREADS"
run classify_bf16 "$(bin bench_classify)" --config tiny --precision bf16 --threads "$THREADS"
run data "$(bin bench_data_pipeline)" --workers 2 --batch 32 --rss-sweep 1000,10000,50000
if [ "$SWEEP" = 1 ] && [ $NATIVE_BF16 = 1 ]; then
  run sweep "$(bin bench_train_step)" --mode sweep --config tiny --batch 8 --precision bf16 --warmup 1 --steps 3 --threads "$THREADS"
fi
if [ "$LINE2" = 1 ]; then  # the same figures on the LibTorch 2.x line
  run gemm2 "$(bin bench_gemm "$BUILD2")" --n 2048 --reps 7 --threads "$THREADS"
  for cfg in tiny paper; do
    if [ $cfg = tiny ]; then b=32 w=$WARMUP s=$STEPS p=both; else b=$PAPER_BATCH w=1 s=3 p=$PAPER_PREC; fi
    run "step_${cfg}_ours2" "$(bin bench_train_step "$BUILD2")" --mode step --config $cfg --batch $b --precision $p --warmup $w --steps $s --threads "$THREADS"
    run "step_${cfg}_peer2" "$PY2" "$ROOT/bench/peer_step.py" --config $cfg --batch $b --precision $p --warmup $w --steps $s --threads "$THREADS"
  done
  if [ $NATIVE_BF16 = 1 ]; then
    run encoder_ours2 "$(bin bench_train_step "$BUILD2")" --mode encoder --config paper --batch 8 --precision bf16 --warmup 1 --steps 3 --threads "$THREADS"
    run encoder_peer2 "$PY2" "$ROOT/bench/peer_step.py" --mode encoder --config paper --batch 8 --precision bf16 --warmup 1 --steps 3 --threads "$THREADS"
  fi
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

NATIVE_BF16=$NATIVE_BF16 $PY - "$LOG" "$OUT" "$LOAD_AFTER" "$*" <<'PY'
import glob, json, os, platform, re, subprocess, sys, time
log, out, load_after, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
res = {}
for f in sorted(glob.glob(os.path.join(log, "*.log"))):
    name = os.path.basename(f)[:-4]
    txt = open(f).read()
    res[name] = [json.loads(l[7:]) for l in txt.splitlines() if l.startswith("RESULT ")]
    res[name + "_text"] = txt

def pick(name, **kw):
    for r in res.get(name, []):
        if all(r.get(k) == v for k, v in kw.items()):
            return r
    return None

gemm = {r["precision"]: r for r in res.get("gemm", [])}
rows, same, shipped = [], {}, {}
for cfg in ("tiny", "paper"):
    for prec in ("fp32", "bf16"):
        o, p = pick(f"step_{cfg}_ours", precision=prec), pick(f"step_{cfg}_peer", precision=prec)
        if o and p:
            same[f"{cfg}_{prec}"] = p["step_s"]["median"] / o["step_s"]["median"]
            rows.append((f"{cfg} step {prec} (B={o['batch']})", o, p, same[f"{cfg}_{prec}"], gemm.get(prec)))
    o, p = pick(f"step_{cfg}_ours", precision="bf16"), pick(f"step_{cfg}_peer", precision="fp32")
    if o and p:
        shipped[cfg] = p["step_s"]["median"] / o["step_s"]["median"]
eo, ep = pick("encoder_ours", precision="bf16"), pick("encoder_peer", precision="bf16")
enc_frac = eo["gflops"] / gemm["bf16"]["gflops_best"] if eo and "bf16" in gemm else None
cls = (res.get("classify") or [None])[0]
cls_bf16 = (res.get("classify_bf16") or [None])[0]
data_txt = res.get("data_text", "")
m_prep = re.search(r"in ([\d.]+) s = (\d+) written records/s; peak RSS (\d+) MB \((\d+) MB before", data_txt)
m_load = re.search(r"= (\d+) batches/s \((\d+) records/s\)", data_txt)
# The paper step's consumption: bf16 where it ran (a CPU with native bf16), else fp32.
paper_step = pick("step_paper_ours", precision="bf16") or pick("step_paper_ours", precision="fp32")
loader_ratio = (float(m_load.group(2)) / paper_step["pairs_per_s"]) if (m_load and paper_step) else None
prep_sweep = pick("data", mode="prepare_sweep")  # bench_data_pipeline --rss-sweep: one child process per N

def fmt(x, d=2):
    return "n/a" if x is None else f"{x:.{d}f}"

print()
print(f"{'figure':34s} {'ours s/step':>12s} {'peer s/step':>12s} {'ours/peer':>10s} {'ours GFLOP/s':>13s} {'% roofline':>11s}")
# Without native bf16 the bf16 GEMM and steps run emulated: a fraction of an emulated roofline,
# or our emulated bf16 against the peer's fp32, measures the emulation, so neither is printed.
native_bf16 = os.environ.get("NATIVE_BF16") == "1"
for label, o, p, r, g in rows:
    frac = o["gflops"] / g["gflops_best"] * 100 if g and (native_bf16 or "bf16" not in label) else None
    print(f"{label:34s} {o['step_s']['median']:12.3f} {p['step_s']['median']:12.3f} {r:9.2f}x {o['gflops']:13.1f} {fmt(frac,1) + ('%' if frac is not None else ''):>11s}")
for cfg, r in shipped.items():
    o, p = pick(f"step_{cfg}_ours", precision="bf16"), pick(f"step_{cfg}_peer", precision="fp32")
    if native_bf16:
        print(f"{cfg + ' ours bf16 / peer fp32 (shipped)':34s} {o['step_s']['median']:12.3f} {p['step_s']['median']:12.3f} {r:9.2f}x")
    else:
        print(f"{cfg + ' ours bf16 / peer fp32 (shipped)':34s} n/a: bf16 is emulated on this CPU")
if eo:
    print(f"{'paper ECG encoder step bf16 (B=8)':34s} {eo['step_s']['median']:12.3f} {ep['step_s']['median'] if ep else float('nan'):12.3f} "
          f"{(ep['step_s']['median'] / eo['step_s']['median']) if ep else float('nan'):9.2f}x {eo['gflops']:13.1f} {enc_frac * 100:10.1f}%")
for prec, g in gemm.items():
    print(f"GEMM 2048 {prec}: best {g['gflops_best']:.1f} / median {g['gflops_median']:.1f} GFLOP/s")
if cls:
    print(f"classify (tiny, one ECG, read+preprocess+encode+scores): {cls['classify_ms']['median']:.2f} ms median; "
          f"embed {cls['embed_ecgs_per_s']:.1f} ECGs/s (fp32)")
if cls_bf16:
    print(f"classify bf16 autocast: {cls_bf16['classify_ms']['median']:.2f} ms median; embed {cls_bf16['embed_ecgs_per_s']:.1f} ECGs/s")
if m_prep:
    print(f"prepare: {m_prep.group(2)} records/s, peak RSS {m_prep.group(3)} MB; loader {m_load.group(1) if m_load else '?'} "
          f"batches/s = {fmt(loader_ratio, 1)}x the paper {paper_step['precision'] if paper_step else ''} step's consumption")
if prep_sweep:
    print("prepare sweep (synthetic PTB-XL 100 Hz, one process per N): " +
          "; ".join(f"N={r['records']}: {r['records_per_s']:.0f} records/s, {r['seconds']:.1f} s, peak RSS {r['peak_rss_mb']:.1f} MB"
                    for r in prep_sweep["sizes"]) + f"; growth {prep_sweep['rss_growth']:.3f}x")

# The two LibTorch lines side by side: median s/step of each (ours and the peer under each torch).
gemm2 = {r["precision"]: r for r in res.get("gemm2", [])}
lines = {}
if res.get("step_tiny_ours2"):
    print()
    print(f"{'LibTorch lines, s/step':34s} {'ours 1.13':>10s} {'ours 2.x':>10s} {'peer 1.13':>10s} {'peer 2.x':>10s} {'2.x: ours/peer':>15s}")
    for cfg in ("tiny", "paper"):
        for prec in ("fp32", "bf16"):
            cells = {k: pick(f"step_{cfg}_{k}", precision=prec) for k in ("ours", "ours2", "peer", "peer2")}
            t = {k: (c["step_s"]["median"] if c else None) for k, c in cells.items()}
            speed2 = t["peer2"] / t["ours2"] if t["peer2"] and t["ours2"] else None
            lines[f"{cfg}_{prec}"] = {"ours_113_s": t["ours"], "ours_2x_s": t["ours2"], "peer_113_s": t["peer"],
                                      "peer_2x_s": t["peer2"], "peer_2x_over_ours_2x": speed2,
                                      "peer_2x_over_ours_113": t["peer2"] / t["ours"] if t["peer2"] and t["ours"] else None}
            b = (cells["ours"] or cells["ours2"] or {}).get("batch", "?")
            print(f"{cfg + ' ' + prec + ' (B=' + str(b) + ')':34s} {fmt(t['ours'],3):>10s} {fmt(t['ours2'],3):>10s} {fmt(t['peer'],3):>10s} {fmt(t['peer2'],3):>10s} {fmt(speed2):>14s}x")
    eo2, ep2 = pick("encoder_ours2", precision="bf16"), pick("encoder_peer2", precision="bf16")
    enc_frac2 = eo2["gflops"] / gemm2["bf16"]["gflops_best"] if eo2 and "bf16" in gemm2 else None
    lines["encoder_bf16"] = {"ours_113_s": eo["step_s"]["median"] if eo else None, "ours_2x_s": eo2["step_s"]["median"] if eo2 else None,
                             "peer_113_s": ep["step_s"]["median"] if ep else None, "peer_2x_s": ep2["step_s"]["median"] if ep2 else None,
                             "roofline_fraction_113": enc_frac, "roofline_fraction_2x": enc_frac2}
    lines["gemm_2x"] = gemm2
    print(f"{'paper ECG encoder bf16 (B=8)':34s} {fmt(lines['encoder_bf16']['ours_113_s'],3):>10s} {fmt(lines['encoder_bf16']['ours_2x_s'],3):>10s} "
          f"{fmt(lines['encoder_bf16']['peer_113_s'],3):>10s} {fmt(lines['encoder_bf16']['peer_2x_s'],3):>10s}")
    for prec, g in gemm2.items():
        print(f"GEMM 2048 {prec} on 2.x: best {g['gflops_best']:.1f} / median {g['gflops_median']:.1f} GFLOP/s")
    print(f"encoder step / bf16 roofline: 1.13 {fmt(enc_frac and enc_frac * 100, 1)} %, 2.x {fmt(enc_frac2 and enc_frac2 * 100, 1)} %")

targets = {
    "step_vs_peer_same_precision >= 1.3": min(same.values()) if same else None,
    "step_vs_peer_as_shipped >= 2.5": min(shipped.values()) if shipped else None,
    "encoder_roofline_fraction >= 0.60": enc_frac,
    "loader_over_consumption >= 10": loader_ratio,
    "prepare_rss_growth <= 1.10": prep_sweep["rss_growth"] if prep_sweep else None,
    "classify_ms <= 20": cls["classify_ms"]["median"] if cls else None,
}
print()
for k, v in targets.items():
    lim = float(k.split()[-1])
    ok = None if v is None else (v <= lim if "<=" in k else v >= lim)
    print(f"target {k:40s} measured {fmt(v, 3):>8s}  {'met' if ok else ('MISSED' if ok is not None else 'n/a')}")

doc = {
    "step_vs_peer_same_precision": {"min": min(same.values()) if same else None, **same},
    "step_vs_peer_as_shipped": {"min": min(shipped.values()) if shipped else None, **shipped},
    "encoder_roofline_fraction": enc_frac,
    "loader_over_consumption": loader_ratio,
    "prepare_rss_growth": prep_sweep["rss_growth"] if prep_sweep else None,
    "prepare_sweep": ({"what": (f"prepare of synthetic PTB-XL trees (100 Hz, {prep_sweep['jobs']} jobs) made from the real "
                                f"records, one fresh process per size; rss_growth = peak({prep_sweep['to_records']}) / "
                                f"peak({prep_sweep['from_records']})"),
                       "rss_growth": prep_sweep["rss_growth"], "rss_growth_mb": prep_sweep["rss_growth_mb"],
                       "sizes": {str(r["records"]): {k: r[k] for k in ("records_per_s", "seconds", "cpu_s", "peak_rss_mb",
                                                                         "start_rss_mb", "records_written")}
                                 for r in prep_sweep["sizes"]}} if prep_sweep else None),
    "classify_ms": cls["classify_ms"]["median"] if cls else None,
    "embed_ecgs_per_s": cls["embed_ecgs_per_s"] if cls else None,
    "classify_ms_bf16": cls_bf16["classify_ms"]["median"] if cls_bf16 else None,
    "embed_ecgs_per_s_bf16": cls_bf16["embed_ecgs_per_s"] if cls_bf16 else None,
    "prepare": ({"records_per_s": float(m_prep.group(2)), "peak_rss_mb": float(m_prep.group(3)),
                 "rss_before_mb": float(m_prep.group(4))} if m_prep else None),
    "loader": ({"batches_per_s": float(m_load.group(1)), "records_per_s": float(m_load.group(2))} if m_load else None),
    "gemm": gemm,
    "lines": lines or None,
    "ratios_are": "peer median step time / our median step time (> 1: ours faster)",
    "machine": {"cores": os.cpu_count(), "cpu": platform.processor() or open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].strip(": "),
                "load_after": load_after, "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"), "threads": os.environ.get("OMP_NUM_THREADS")},
    "command": "bench/run_all.sh " + args,
    "results": {k: v for k, v in res.items() if not k.endswith("_text")},
}
with open(out, "w") as f:
    json.dump(doc, f, indent=1)
print(f"\nwrote {out}")
PY
echo "# load after: $LOAD_AFTER"
echo "# reproduce: OMP_WAIT_POLICY=passive THREADS=$THREADS PAPER_BATCH=$PAPER_BATCH SWEEP=$SWEEP LINE2=$LINE2 bench/run_all.sh ${1:-./build}"
