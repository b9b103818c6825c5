#!/usr/bin/python3
"""Writes tests/fixtures/eval/subsets.json: MERL's 1 % / 10 % training subsets, i.e. the row
indices sklearn 1.2.1's train_test_split(range(n), train_size=r, random_state=42) keeps, for
MERL's train-split sizes (PTB-XL super/sub 17084, form 7197, rhythm 16832, CPSC 4950, CSN
16546) — 1 % lists in full, 10 % lists for PTB-XL super in full, sizes for the rest.

    /usr/bin/python3 tools/make_subset_fixture.py tests/fixtures/eval
"""
import json
import os
import sys

import sklearn
from sklearn.model_selection import train_test_split


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/eval"
    os.makedirs(out, exist_ok=True)
    res = {"meta": {"sklearn": sklearn.__version__}, "cases": []}
    for name, n in [("ptbxl_super", 17084), ("ptbxl_form", 7197), ("ptbxl_rhythm", 16832),
                    ("cpsc2018", 4950), ("csn", 16546)]:
        for r in (0.01, 0.1):
            tr, _ = train_test_split(list(range(n)), train_size=r, random_state=42)
            case = {"task": name, "n": n, "ratio": r, "size": len(tr)}
            if r == 0.01 or name == "ptbxl_super":
                case["train"] = [int(i) for i in tr]
            res["cases"].append(case)
    with open(os.path.join(out, "subsets.json"), "w") as f:
        json.dump(res, f)


if __name__ == "__main__":
    main()
