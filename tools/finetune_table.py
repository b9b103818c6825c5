#!/usr/bin/env python3
"""The fine-tune / linear-probe / random-init table from the run folders of tools/finetune_table.sh.

Reads OUT/<task>-<pretrained|random>-<linear|full>/results.json (written by `cgdmer finetune`)
and prints Markdown: one row per start × mode, one column per task with the test macro AUROC
and its 95 % stratified bootstrap CI (×100), then a second table with macro AUPRC, F1 at the
validation-chosen thresholds, and ECE after temperature scaling.

  python3 tools/finetune_table.py OUT

Standard library only.
"""
import json
import os
import sys

TASKS = ["ptbxl_super", "ptbxl_form", "ptbxl_rhythm"]
ROWS = [("pretrained", "linear"), ("pretrained", "full"), ("random", "linear"), ("random", "full")]


def cell(m, key):
    v = m.get(key) or {}
    if v.get("point") is None:
        return "–"
    lo, hi = v.get("low"), v.get("high")
    ci = f" [{100 * lo:.1f}, {100 * hi:.1f}]" if lo is not None and hi is not None else ""
    return f"{100 * v['point']:.1f}{ci}"


def main():
    out = sys.argv[1]
    results = {}
    for task in TASKS:
        for start, mode in ROWS:
            path = os.path.join(out, f"{task}-{start}-{mode}", "results.json")
            if os.path.exists(path):
                with open(path) as f:
                    results[(task, start, mode)] = json.load(f)
    if not results:
        sys.exit(f"no results.json under {out}")
    n = {}
    for (task, _, _), r in results.items():
        n[task] = (r["test"] or {}).get("n_test", 0)
    head = " | ".join(f"{t} (n={n.get(t, 0)})" for t in TASKS)
    print(f"Test macro AUROC ×100 [95 % CI] (epoch chosen on validation):\n")
    print(f"| start | mode | {head} |")
    print("|---|---|" + "---|" * len(TASKS))
    for start, mode in ROWS:
        cells = []
        for t in TASKS:
            r = results.get((t, start, mode))
            cells.append(cell(r["test"]["macro"], "auroc") + f" (ep {r['best_epoch']})" if r and r["test"] else "–")
        print(f"| {start} | {mode} | " + " | ".join(cells) + " |")
    print("\nMacro AUPRC / F1 at validation thresholds / ECE (×100):\n")
    print(f"| start | mode | " + " | ".join(TASKS) + " |")
    print("|---|---|" + "---|" * len(TASKS))
    for start, mode in ROWS:
        cells = []
        for t in TASKS:
            r = results.get((t, start, mode))
            if not r or not r["test"]:
                cells.append("–")
                continue
            m = r["test"]["macro"]
            f = lambda k: "–" if (m.get(k) or {}).get("point") is None else f"{100 * m[k]['point']:.1f}"
            cells.append(f"{f('auprc')} / {f('f1')} / {f('ece')}")
        print(f"| {start} | {mode} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
