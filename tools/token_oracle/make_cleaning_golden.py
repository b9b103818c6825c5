#!/usr/bin/python3
"""Fixture for clean_report / count_words: MERL's process_report text steps
(MERL-ICML2024 pretrain/preprocess.ipynb, see reference/peers.md §2a) run by Python on
hand-made edge cases and on the first 300 distinct PTB-XL reports.

usage: /usr/bin/python3 tools/token_oracle/make_cleaning_golden.py SHARED_DIR OUT.jsonl
"""
import csv
import json
import os
import sys


def merl_clean(report):
    # Verbatim steps of MERL's process_report after the '. '.join of the report columns.
    report = report.replace('EKG', 'ECG').replace('ekg', 'ecg')
    report = report.strip(' ***').strip('*** ').strip('***').strip('=-').strip('=')
    report = report.lower()
    if len(report.split()) == 0:
        return 'empty'
    report = report.replace('\n', ' ').replace('\r', ' ').replace('\t', ' ')
    return report + '.'


HAND_MADE = [
    "", "   ", "***", " *** ", "=-=-", "*** =-= ***", "\t\n\r",
    "Sinus rhythm. Normal EKG.", "*** Abnormal ekg ***", "Ekg and EKG and ekg",
    "** ST elevation **", "= Sinus tachycardia =", "-- borderline --", "=-*text*-=",
    "* x *", " *=* x", "x =", "=x=", "*** Poor data quality, interpretation may be adversely affected",
    "Atrial fibrillation\nwith rapid ventricular response\r\n\tQTc 450",
    "Vorhofflimmern. ÜBERLEITUNGSSTÖRUNG", "İSTANBUL", "ΟΔΟΣ ΣΑΣ Σ", "straße ẞ",
    "a\x1cb\x1dc\x1ed\x1fe", "nbsp\u00a0here", "line\u2028sep", "zero\u200bwidth",
    "   leading and trailing   ", "*leading star only", "trailing dash -", "= = =",
]


def main():
    shared, out = sys.argv[1], sys.argv[2]
    texts = list(HAND_MADE)
    with open(os.path.join(shared, "data/ptb-xl/ptbxl_database.csv"), newline="", encoding="utf-8") as f:
        seen = set()
        for row in csv.DictReader(f):
            r = row["report"]
            if r not in seen and len(seen) < 300:
                seen.add(r)
                texts.append(r)
    parts_cases = [["Sinus rhythm", "", "Normal ECG"], ["", ""], ["a"], ["a", "b", "c"]]
    with open(out, "w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps({"text": t, "clean": merl_clean(t), "words": len(t.split())},
                               ensure_ascii=False) + "\n")
        for p in parts_cases:
            # pandas dropna() removes the empty (NaN) fields before '. '.join
            f.write(json.dumps({"parts": p, "joined": ". ".join(x for x in p if x)},
                               ensure_ascii=False) + "\n")
    print(f"{len(texts)} texts, {len(parts_cases)} join cases -> {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
