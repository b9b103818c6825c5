#!/usr/bin/env python3
"""Builds the embedded sample under data/sample/ from the shared real data (../shared/data).

    python3 tools/make_embedded_sample.py [SHARED_DATA_DIR]

PTB-XL: the first 60 records (by ecg_id) of each of folds 1-8 and the first 120 of fold 9 that
exist at 100 Hz, plus record 1 at 500 Hz; the matching ptbxl_database.csv rows (only those) and
scp_statements.csv. One record per other reader format: a Challenge MAT v4 record (Georgia
E07500), a CSN record (JS00001 + ConditionNames_SNOMED-CT.csv), an original CPSC 2018 MAT v5
file (A1980), and a LUDB record (1). Deterministic: re-running gives the same files.
"""
import csv
import os
import shutil
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "..", "shared", "data")
out = os.path.join(root, "data", "sample")
PER_FOLD, FOLD9 = 60, 120


def copy(src_rel, dst_rel):
    dst = os.path.join(out, dst_rel)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(os.path.join(shared, src_rel), dst)


ptb = os.path.join(shared, "ptb-xl")
with open(os.path.join(ptb, "ptbxl_database.csv"), newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f))
header, body = rows[0], rows[1:]
c_id, c_fold, c_lr, c_hr = (header.index(k) for k in ("ecg_id", "strat_fold", "filename_lr", "filename_hr"))
body.sort(key=lambda r: int(r[c_id]))
taken, per = [], {}
for r in body:
    fold = int(r[c_fold])
    want = FOLD9 if fold == 9 else PER_FOLD
    if fold > 9 or per.get(fold, 0) >= want:
        continue
    if not os.path.exists(os.path.join(ptb, r[c_lr] + ".hea")):
        continue
    per[fold] = per.get(fold, 0) + 1
    taken.append(r)
# Rebuild everything but PROVENANCE.md (hand-written, kept).
if os.path.isdir(out):
    for name in os.listdir(out):
        path = os.path.join(out, name)
        if name != "PROVENANCE.md":
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
for r in taken:
    for ext in (".hea", ".dat"):
        copy(os.path.join("ptb-xl", r[c_lr] + ext), os.path.join("ptbxl", r[c_lr] + ext))
first = min(taken, key=lambda r: int(r[c_id]))
for ext in (".hea", ".dat"):
    copy(os.path.join("ptb-xl", first[c_hr] + ext), os.path.join("ptbxl", first[c_hr] + ext))
with open(os.path.join(out, "ptbxl", "ptbxl_database.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(header)
    w.writerows(taken)
copy("ptb-xl/scp_statements.csv", "ptbxl/scp_statements.csv")
copy("ptb-xl/LICENSE.txt", "ptbxl/LICENSE.txt")

for ext in (".hea", ".mat"):
    copy("physionet_challenge_2021/training/georgia/E07500" + ext, "challenge/E07500" + ext)
    copy("csn_ecg_arrhythmia/WFDBRecords/01/010/JS00001" + ext, "csn/WFDBRecords/01/010/JS00001" + ext)
copy("csn_ecg_arrhythmia/ConditionNames_SNOMED-CT.csv", "csn/ConditionNames_SNOMED-CT.csv")
copy("cpsc2018/A1980.mat", "cpsc2018/A1980.mat")
for ext in (".hea", ".dat"):
    copy("ludb/data/1" + ext, "ludb/data/1" + ext)
copy("ludb/LICENSE.txt", "ludb/LICENSE.txt")
print("ptbxl records per fold:", dict(sorted(per.items())), "total", len(taken))
