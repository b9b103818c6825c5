#!/usr/bin/python3
"""One line per experiment for docs/experiments.md: losses at chosen steps (metrics.jsonl)
and AUCs (evaluate's results.json) of the pretrained model minus the random-init row.
usage: tools/exp_summary.py RUN_DIR EVAL_DIR [steps, e.g. 5,100,300]"""
import json, math, sys

run, ev = sys.argv[1], sys.argv[2]
steps = [int(s) for s in (sys.argv[3] if len(sys.argv) > 3 else "5,100,300").split(",")]
rows = [json.loads(l) for l in open(run + "/metrics.jsonl") if l.strip()]
rows = [r for r in rows if "loss_cons" in r]
out = []
def mean(k, win):
    v = [r[k] for r in win if k in r]
    return "%.3f" % (sum(v) / len(v)) if v else "-"

for s in steps:  # mean over the logged steps in (s - 25, s]: one batch is noisy
    win = [r for r in rows if s - 25 < r["step"] <= s]
    if win:
        out.append("steps %d-%d: cons %s siglip %s" % (win[0]["step"], win[-1]["step"],
                   mean("loss_cons", win), mean("loss_siglip", win)))
print("; ".join(out), "(ln 32 = %.3f)" % math.log(32))
res = json.load(open(ev + "/results.json"))
tab = {}
for r in res:
    key = (r["task"], r["mode"], r.get("ratio"))
    tab.setdefault(key, {})["rand" if "random" in str(r["model"]).lower() else "pre"] = r["auc"]
for key in sorted(tab, key=str):
    v = tab[key]
    pre, rnd = v.get("pre"), v.get("rand")
    d = "" if pre is None or rnd is None else " (%+.1f)" % (100 * (pre - rnd))
    print("%-14s %-9s %-5s pre %s rand %s%s" % (key[0], key[1], key[2],
          "%.1f" % (100 * pre) if pre is not None else "-",
          "%.1f" % (100 * rnd) if rnd is not None else "-", d))
