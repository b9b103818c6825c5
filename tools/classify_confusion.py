#!/usr/bin/env python3
"""Zero-shot classification of held-out PTB-XL records with `cgdmer classify`, as a confusion table.

For each record of the chosen strat_fold(s) whose scp_codes hold exactly one of the classes of a
group (rhythm: SR AFIB STACH SBRAD SARRH; conduction: CLBBB CRBBB 1AVB LAFB IRBBB), the model
ranks that group's classes (MERL's CKEPE prompts) and the first-ranked class is its prediction.
Prints, per group, the confusion table (rows: true class, columns: predicted), top-1 accuracy,
the chance level (1 / classes) and the majority-class rate, and the per-class recall.
The records must be ones the model never pretrained on (evaluate refuses overlap; this script
trusts the caller): pass the test fold, or pass every fold together with --exclude-ids, a file of
ecg_ids to leave out (one per line; e.g. the ids.txt that `cgdmer embed --model RUN STORE --out
F.npy` writes for the pretraining store, which leaves out every record of that store).

  python3 tools/classify_confusion.py --cgdmer build/cgdmer --model RUN \
      --ptbxl ../shared/data/ptb-xl --folds 9 [--per-class 25] [--group rhythm|conduction|both] \
      [--exclude-ids FILE] [--prompts JSON]

Standard library only; `cgdmer classify` runs once per record (the model loads each time).
"""
import argparse
import ast
import collections
import csv
import json
import os
import subprocess
import sys
import tempfile

GROUPS = {
    "rhythm": ["SR", "AFIB", "STACH", "SBRAD", "SARRH"],
    "conduction": ["CLBBB", "CRBBB", "1AVB", "LAFB", "IRBBB"],
}


def records(ptbxl, folds, classes, per_class, exclude):
    """(path without extension, true class) for records with exactly one class of `classes`."""
    out, count = [], collections.Counter()
    with open(os.path.join(ptbxl, "ptbxl_database.csv"), newline="") as f:
        for row in csv.DictReader(f):
            if int(float(row["strat_fold"])) not in folds or str(int(float(row["ecg_id"]))) in exclude:
                continue
            codes = ast.literal_eval(row["scp_codes"])
            present = [c for c in classes if c in codes]
            if len(present) != 1 or count[present[0]] >= per_class:
                continue
            path = os.path.join(ptbxl, row["filename_lr"])
            if not os.path.exists(path + ".hea"):
                continue
            count[present[0]] += 1
            out.append((path, present[0]))
    return out


def classify(cgdmer, model, record, prompts_file):
    r = subprocess.run([cgdmer, "classify", "--model", model, "--prompts", prompts_file, record + ".hea"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("cgdmer classify failed on %s: %s" % (record, r.stderr.strip()[-400:]))
    return json.loads(r.stdout)


def table(name, classes, truth, pred):
    n = len(truth)
    conf = collections.Counter(zip(truth, pred))
    w = max(6, max(len(c) for c in classes) + 1)
    lines = ["### %s (%d held-out records)" % (name, n), "",
             "| true \\ predicted | " + " | ".join(classes) + " | recall |",
             "|---|" + "---:|" * (len(classes) + 1)]
    for t in classes:
        row_n = sum(conf[(t, p)] for p in classes)
        rec = conf[(t, t)] / row_n if row_n else float("nan")
        lines.append("| %s | " % t + " | ".join(str(conf[(t, p)]) for p in classes) + " | %.2f |" % rec)
    acc = sum(conf[(c, c)] for c in classes) / n
    majority = max(collections.Counter(truth).values()) / n
    lines += ["", "top-1 accuracy %.3f; chance (1/%d) %.3f; always the most frequent class %.3f; "
              "mean per-class recall %.3f" % (acc, len(classes), 1 / len(classes), majority,
                                              sum(conf[(c, c)] / max(1, sum(conf[(c, p)] for p in classes))
                                                  for c in classes) / len(classes)), ""]
    return "\n".join(lines), acc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cgdmer", default="build/cgdmer")
    ap.add_argument("--model", required=True)
    ap.add_argument("--ptbxl", required=True, help="PTB-XL folder (ptbxl_database.csv, records100/)")
    ap.add_argument("--folds", type=int, nargs="+", default=[9])
    ap.add_argument("--per-class", type=int, default=25)
    ap.add_argument("--group", default="both", choices=["rhythm", "conduction", "both"])
    ap.add_argument("--exclude-ids", help="file of ecg_ids to leave out (one per line)")
    ap.add_argument("--prompts", default=os.path.join(os.path.dirname(__file__), "..", "assets", "prompts",
                                                      "CKEPE_prompt.json"))
    a = ap.parse_args()
    with open(a.prompts) as f:
        all_prompts = json.load(f)
    exclude = set()
    if a.exclude_ids:
        with open(a.exclude_ids) as f:
            exclude = {str(int(float(line.strip()))) for line in f if line.strip()}
        if not exclude:
            sys.exit("%s: no ids" % a.exclude_ids)
    groups = GROUPS if a.group == "both" else {a.group: GROUPS[a.group]}
    print("# cgdmer classify on held-out PTB-XL records (folds %s, %d ids excluded), model %s, prompts %s\n"
          % (a.folds, len(exclude), a.model, os.path.basename(a.prompts)))
    for name, classes in groups.items():
        recs = records(a.ptbxl, set(a.folds), classes, a.per_class, exclude)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as pf:
            json.dump({c: all_prompts[c] for c in classes}, pf)
        truth, pred = [], []
        for i, (path, t) in enumerate(recs):
            ranked = classify(a.cgdmer, a.model, path, pf.name)["ranking"]
            truth.append(t)
            pred.append(ranked[0]["label"])
            print("  %s %d/%d" % (name, i + 1, len(recs)), file=sys.stderr, end="\r")
        os.unlink(pf.name)
        print(table(name, classes, truth, pred)[0])
    print("reproduce: python3 " + " ".join(sys.argv))


if __name__ == "__main__":
    main()
