#!/usr/bin/python3
"""Texts for the tokenizer golden file: every PTB-XL report (ptbxl_database.csv, column
`report`, read with Python's csv module) and every LUDB header comment line plus each
record's joined diagnoses, deduplicated in first-seen order. Writes one JSON string per line.

usage: extract_texts.py SHARED_DIR OUT.jsonl
"""
import csv
import glob
import json
import os
import sys


def main():
    shared, out = sys.argv[1], sys.argv[2]
    texts = []
    with open(os.path.join(shared, "data/ptb-xl/ptbxl_database.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    texts += [r["report"] for r in rows]
    n_ptbxl = len(rows)

    def record_no(p):
        return int(os.path.basename(p)[:-4])

    n_ludb = 0
    for hea in sorted(glob.glob(os.path.join(shared, "data/ludb/data/*.hea")), key=record_no):
        with open(hea, encoding="utf-8") as f:
            comments = [line.rstrip("\n")[1:] for line in f if line.startswith("#")]
        texts += comments  # raw lines, trailing spaces kept
        if "<diagnoses>:" in comments:
            diag = comments[comments.index("<diagnoses>:") + 1:]
            texts.append(" ".join(d.strip() for d in diag))
        n_ludb += 1

    seen, unique = set(), []
    for t in texts:
        if t not in seen:
            seen.add(t)
            unique.append(t)
    with open(out, "w", encoding="utf-8") as f:
        for t in unique:
            f.write(json.dumps(t, ensure_ascii=False) + "\n")
    print(f"{n_ptbxl} PTB-XL reports, {n_ludb} LUDB headers -> {len(texts)} texts, {len(unique)} unique",
          file=sys.stderr)


if __name__ == "__main__":
    main()
