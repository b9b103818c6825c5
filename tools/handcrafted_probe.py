#!/usr/bin/env python3
"""How much of a PTB-XL task hand-made signal statistics carry, with and without min-max scaling.

A reference point for issue 14's linear-probe figures (docs/experiments.md, "What the input
keeps"): per lead, amplitude statistics (mean, sd, min, max, 5/25/50/75/95th percentiles), the
sd of the first difference and the power in three frequency bands, over the 100 Hz record (10 s,
12 leads: 144 features). Two inputs:
  raw     the record in mV, as PTB-XL stores it;
  minmax  the same record after cgdmer's (and MERL's) global min-max to [0, 1] over all leads,
          which keeps the leads' relative amplitudes and drops the record's absolute scale.
Records are those `cgdmer evaluate` keeps: the ones holding at least one of the task's classes.
The probe is scikit-learn's L2 logistic regression, one per class, on standardised features; C
is chosen on the validation fold by macro AUROC. Splits are `cgdmer evaluate`'s: train on every
fold but --val-fold and --test-fold, C on --val-fold, macro AUROC on --test-fold over classes with
a positive and a negative there. At a label fraction below 1, --draws random subsets of the
training fold are drawn (a class with no positive in a draw scores 0.5 on test, as an untrained
logit would).

  /usr/bin/python3 tools/handcrafted_probe.py --ptbxl ../shared/data/ptb-xl --task form \
      [--val-fold 8] [--test-fold 9] [--ratios 0.1 1] [--draws 5] [--features-out F.npz]

Needs numpy and scikit-learn (Debian's python3-sklearn); reads WFDB format-16 .dat with numpy.
"""
import argparse
import ast
import csv
import os
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

# The class lists of src/data/label_sets.cpp (underscores stripped, as dataset_ptbxl.cpp does).
CLASSES = {
    "form": ["PAC", "DIG", "HVOLT", "STD", "LPR", "QWAVE", "VCLVH", "NDT", "TAB", "LOWT", "ABQRS",
             "LNGQT", "PRC(S)", "NT", "STE", "NST", "PVC", "INVT", "LVOLT"],
    "rhythm": ["SVARR", "BIGU", "STACH", "SARRH", "SBRAD", "TRIGU", "AFIB", "SR", "SVTAC", "PSVT",
               "AFLT", "PACE"],
}
COLUMN = {"form": "form", "rhythm": "rhythm"}


def read_format16(path_no_ext):
    """(12, n) float64 in mV from a WFDB header + format-16 .dat (PTB-XL's 100 Hz records)."""
    with open(path_no_ext + ".hea") as f:
        lines = [l.split() for l in f if l.strip() and not l.startswith("#")]
    n_sig, n = int(lines[0][1]), int(lines[0][3])
    gains, baselines = [], []
    for sig in lines[1:1 + n_sig]:
        if sig[1] != "16":
            raise ValueError("%s.hea: format %s, only 16 is read" % (path_no_ext, sig[1]))
        g = sig[2].split("/")[0]
        base = 0
        if "(" in g:
            g, base = g.split("(")[0], int(g.split("(")[1].rstrip(")"))
        gains.append(float(g))
        baselines.append(base)
    raw = np.fromfile(path_no_ext + ".dat", dtype="<i2")
    if raw.size != n * n_sig:
        raise ValueError("%s.dat: %d samples, header says %d x %d" % (path_no_ext, raw.size, n, n_sig))
    x = raw.reshape(n, n_sig).T.astype(np.float64)
    return (x - np.array(baselines)[:, None]) / np.array(gains)[:, None]


def features(x, fs=100.0):
    """(12 * 12,) statistics of one (12, n) record."""
    q = np.percentile(x, [5, 25, 50, 75, 95], axis=1).T                   # (12, 5)
    d = np.diff(x, axis=1).std(axis=1, keepdims=True)                      # (12, 1)
    spec = np.abs(np.fft.rfft(x - x.mean(axis=1, keepdims=True), axis=1)) ** 2
    freq = np.fft.rfftfreq(x.shape[1], 1 / fs)
    bands = [spec[:, (freq >= lo) & (freq < hi)].sum(axis=1, keepdims=True) / x.shape[1]
             for lo, hi in ((0.5, 5), (5, 15), (15, 40))]
    stats = [x.mean(axis=1, keepdims=True), x.std(axis=1, keepdims=True),
             x.min(axis=1, keepdims=True), x.max(axis=1, keepdims=True), q, d] + \
            [np.log(b + 1e-12) for b in bands]
    return np.concatenate(stats, axis=1).ravel()


def minmax(x):
    lo, hi = x.min(), x.max()
    return (x - lo) / (hi - lo + 1e-8)


def load(ptbxl, task):
    classes = CLASSES[task]
    kind = {}
    with open(os.path.join(ptbxl, "scp_statements.csv"), newline="") as f:
        for row in csv.DictReader(f):
            code = row[""] if "" in row else next(iter(row.values()))
            kind[code] = row.get(COLUMN[task], "") not in ("", "0", "0.0")
    ids, folds, raw_f, mm_f, labels = [], [], [], [], []
    with open(os.path.join(ptbxl, "ptbxl_database.csv"), newline="") as f:
        for row in csv.DictReader(f):
            path = os.path.join(ptbxl, row["filename_lr"])
            if not os.path.exists(path + ".hea"):
                continue
            x = read_format16(path)
            x = np.nan_to_num(x)
            codes = [c.rstrip("_") for c in ast.literal_eval(row["scp_codes"]) if kind.get(c)]
            if not any(c in codes for c in classes):
                continue  # as evaluate: a record without any of the task's classes is left out
            ids.append(int(float(row["ecg_id"])))
            folds.append(int(float(row["strat_fold"])))
            raw_f.append(features(x))
            mm_f.append(features(minmax(x)))
            labels.append([1 if c in codes else 0 for c in classes])
    return (np.array(ids), np.array(folds), np.array(raw_f), np.array(mm_f),
            np.array(labels, dtype=np.int64), classes)


def macro_auc(y, s):
    aucs = [roc_auc_score(y[:, c], s[:, c]) for c in range(y.shape[1])
            if 0 < y[:, c].sum() < len(y)]
    return float(np.mean(aucs)) if aucs else float("nan")


def fit_scores(xtr, ytr, xev):
    """Per-class logistic-regression scores on xev for each C; a class without both labels in
    training gets a constant score."""
    out = {}
    for C in (0.001, 0.01, 0.1, 1.0):
        s = np.zeros((xev.shape[0], ytr.shape[1]))
        for c in range(ytr.shape[1]):
            if 0 < ytr[:, c].sum() < len(ytr):
                m = LogisticRegression(C=C, max_iter=2000).fit(xtr, ytr[:, c])
                s[:, c] = m.decision_function(xev)
        out[C] = s
    return out


def probe(X, Y, folds, val_fold, test_fold, ratio, rng):
    tr = np.where((folds != val_fold) & (folds != test_fold))[0]
    if ratio < 1:
        tr = rng.choice(tr, size=max(1, int(round(ratio * len(tr)))), replace=False)
    va, te = np.where(folds == val_fold)[0], np.where(folds == test_fold)[0]
    sc = StandardScaler().fit(X[tr])
    xtr, xva, xte = sc.transform(X[tr]), sc.transform(X[va]), sc.transform(X[te])
    both = np.concatenate([xva, xte])
    scores = fit_scores(xtr, Y[tr], both)
    best = max(scores, key=lambda C: macro_auc(Y[va], scores[C][:len(va)]))
    return macro_auc(Y[te], scores[best][len(va):]), best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ptbxl", required=True)
    ap.add_argument("--task", choices=sorted(CLASSES), default="form")
    ap.add_argument("--val-fold", type=int, default=8)
    ap.add_argument("--test-fold", type=int, default=9)
    ap.add_argument("--ratios", type=float, nargs="+", default=[0.1, 1.0])
    ap.add_argument("--draws", type=int, default=5)
    ap.add_argument("--features-out")
    a = ap.parse_args()
    ids, folds, raw_f, mm_f, Y, classes = load(a.ptbxl, a.task)
    if len(ids) == 0:
        sys.exit("handcrafted_probe: no records with a .hea under %s" % a.ptbxl)
    if a.features_out:
        np.savez(a.features_out, ids=ids, folds=folds, raw=raw_f, minmax=mm_f, labels=Y)
    te = folds == a.test_fold
    print("# %s: %d records, test fold %d holds %d (classes with a positive there: %d of %d)"
          % (a.task, len(ids), a.test_fold, te.sum(), int((Y[te].sum(0) > 0).sum()), len(classes)))
    for name, X in (("raw (mV)", raw_f), ("min-max [0,1]", mm_f)):
        for r in a.ratios:
            draws = a.draws if r < 1 else 1
            res = [probe(X, Y, folds, a.val_fold, a.test_fold, r, np.random.default_rng(d))
                   for d in range(draws)]
            aucs = [x[0] for x in res]
            print("%-14s %3d %%  macro AUROC %.1f ± %.1f  (%d draw%s; C %s)"
                  % (name, round(r * 100), 100 * np.mean(aucs), 100 * np.std(aucs), draws,
                     "s" if draws > 1 else "", sorted({x[1] for x in res})))


if __name__ == "__main__":
    main()
