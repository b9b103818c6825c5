#!/usr/bin/env bash
# Runs every performance benchmark side by side in one go and writes bench/results.json:
#   GEMM roofline (bench_gemm), CG-DMER training step tiny + paper, fp32 + bf16, ours
#   (bench_train_step) and the PyTorch eager peer (bench/peer_step.py, Debian python3-torch),
#   the ECG-encoder step vs the bf16 roofline, zero-shot classify latency + embed throughput
#   (bench_classify), prepare + loader (bench_data_pipeline), and a short scaling sweep.
# Builds nothing:  bench/run_all.sh [BUILD_DIR]   (default ./build, configured with
#   -DCGDMER_BUILD_BENCH=ON; targets bench_gemm bench_train_step bench_classify bench_data_pipeline)
# Environment: THREADS (default: all cores), PAPER_BATCH (4), SWEEP=0 to skip the sweep,
#   STEPS / WARMUP for the tiny step (3 / 1; paper uses 3 / 1), OUT (default bench/results.json).
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
# Same runtime settings for ours and the peer (reference/toolchain.md): OpenMP threads that
# sleep instead of spinning when the cores are shared, and the thread count.
export OMP_WAIT_POLICY=passive OMP_NUM_THREADS=$THREADS

bin() {
  local b=$BUILD/bench/$1
  [ -x "$b" ] || b=$BUILD/$1
  [ -x "$b" ] || { echo "run_all.sh: $1 not built in $BUILD (ninja -C $BUILD $1)" >&2; exit 1; }
  echo "$b"
}
LOG=$(mktemp -d /tmp/cgdmer_bench.XXXXXX)
echo "# logs in $LOG"
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
run() {  # name, command...: tee the output into $LOG/name.log
  local name=$1; shift
  echo "## $name: $*"
  "$@" 2>&1 | tee "$LOG/$name.log" | grep -v '^RESULT '
}

run gemm "$(bin bench_gemm)" --n 2048 --reps 7 --threads "$THREADS"
for cfg in tiny paper; do
  if [ $cfg = tiny ]; then b=32 w=$WARMUP s=$STEPS; else b=$PAPER_BATCH w=1 s=3; fi
  run "step_${cfg}_ours" "$(bin bench_train_step)" --mode step --config $cfg --batch $b --warmup $w --steps $s --threads "$THREADS"
  run "step_${cfg}_peer" $PY "$ROOT/bench/peer_step.py" --config $cfg --batch $b --warmup $w --steps $s --threads "$THREADS"
done
run encoder_ours "$(bin bench_train_step)" --mode encoder --config paper --batch 8 --precision bf16 --warmup 1 --steps 3 --threads "$THREADS"
run encoder_peer $PY "$ROOT/bench/peer_step.py" --mode encoder --config paper --batch 8 --precision bf16 --warmup 1 --steps 3 --threads "$THREADS"
run classify "$(bin bench_classify)" --config tiny --threads "$THREADS"
run classify_bf16 "$(bin bench_classify)" --config tiny --precision bf16 --threads "$THREADS"
run data "$(bin bench_data_pipeline)" --workers 2 --batch 32 --rss-sweep 1000,10000,50000
if [ "$SWEEP" = 1 ]; then
  run sweep "$(bin bench_train_step)" --mode sweep --config tiny --batch 8 --precision bf16 --warmup 1 --steps 3 --threads "$THREADS"
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

$PY - "$LOG" "$OUT" "$LOAD_AFTER" "$*" <<'PY'
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
paper_bf16 = pick("step_paper_ours", precision="bf16")
loader_ratio = (float(m_load.group(2)) / paper_bf16["pairs_per_s"]) if (m_load and paper_bf16) else None
prep_sweep = pick("data", mode="prepare_sweep")  # bench_data_pipeline --rss-sweep: one child process per N

def fmt(x, d=2):
    return "n/a" if x is None else f"{x:.{d}f}"

print()
print(f"{'figure':34s} {'ours s/step':>12s} {'peer s/step':>12s} {'ours/peer':>10s} {'ours GFLOP/s':>13s} {'% roofline':>11s}")
for label, o, p, r, g in rows:
    frac = o["gflops"] / g["gflops_best"] * 100 if g else None
    print(f"{label:34s} {o['step_s']['median']:12.3f} {p['step_s']['median']:12.3f} {r:9.2f}x {o['gflops']:13.1f} {fmt(frac,1):>10s}%")
for cfg, r in shipped.items():
    o, p = pick(f"step_{cfg}_ours", precision="bf16"), pick(f"step_{cfg}_peer", precision="fp32")
    print(f"{cfg + ' ours bf16 / peer fp32 (shipped)':34s} {o['step_s']['median']:12.3f} {p['step_s']['median']:12.3f} {r:9.2f}x")
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
          f"batches/s = {fmt(loader_ratio, 1)}x the paper bf16 step's consumption")
if prep_sweep:
    print("prepare sweep (synthetic PTB-XL 100 Hz, one process per N): " +
          "; ".join(f"N={r['records']}: {r['records_per_s']:.0f} records/s, {r['seconds']:.1f} s, peak RSS {r['peak_rss_mb']:.1f} MB"
                    for r in prep_sweep["sizes"]) + f"; growth {prep_sweep['rss_growth']:.3f}x")

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
echo "# reproduce: OMP_WAIT_POLICY=passive THREADS=$THREADS PAPER_BATCH=$PAPER_BATCH SWEEP=$SWEEP bench/run_all.sh ${1:-./build}"
