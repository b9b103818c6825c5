#!/usr/bin/python3
"""Writes tests/fixtures/metrics/*.json: random multi-label scores WITH TIES and labels, plus
scikit-learn's answers (roc_auc_score per class and macro, roc_curve, MERL-style max-F1 from
precision_recall_curve, trustworthiness). Run with Debian's python (sklearn 1.2.1):

    /usr/bin/python3 tools/make_metrics_fixture.py tests/fixtures/metrics
"""
import json
import os
import sys

import numpy as np
import sklearn
from sklearn.manifold import trustworthiness
from sklearn.metrics import precision_recall_curve, roc_auc_score, roc_curve


def max_f1(y, s):
    # MERL finetune/main_single.py: F1 over the PR curve, max.
    p, r, t = precision_recall_curve(y, s)
    num = 2 * r * p
    den = r + p
    f1 = np.divide(num, den, out=np.zeros_like(den), where=(den != 0))
    i = int(np.argmax(f1))
    return float(f1[i]), float(t[min(i, len(t) - 1)])


def case(rng, n, c, decimals, name, exclude=()):
    # Scores rounded to `decimals` → many ties; labels with class-dependent prevalence.
    scores = np.round(rng.normal(size=(n, c)), decimals)
    prev = rng.uniform(0.05, 0.5, size=c)
    labels = (rng.uniform(size=(n, c)) < prev).astype(int)
    labels[:, :] |= (scores > 1.2) & (rng.uniform(size=(n, c)) < 0.5)  # some signal
    for cls, kind in exclude:
        labels[:, cls] = 0 if kind == "no_positive" else 1
    included = [k for k in range(c) if 0 < labels[:, k].sum() < n]
    per_class = [float(roc_auc_score(labels[:, k], scores[:, k])) if k in included else None
                 for k in range(c)]
    macro = float(roc_auc_score(labels[:, included], scores[:, included], average="macro"))
    f1 = [max_f1(labels[:, k], scores[:, k]) for k in range(c)]
    fpr, tpr, thr = roc_curve(labels[:, 0], scores[:, 0], drop_intermediate=False)
    return {
        "name": name, "n": n, "n_classes": c,
        "scores": scores.ravel().tolist(), "labels": labels.ravel().tolist(),
        "per_class_auc": per_class, "macro_auc": macro, "excluded": [k for k in range(c) if k not in included],
        "max_f1": [a for a, _ in f1], "max_f1_threshold": [b for _, b in f1],
        "roc0": {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thr[1:].tolist()},
    }


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/metrics"
    os.makedirs(out, exist_ok=True)
    rng = np.random.RandomState(20240)
    cases = [
        case(rng, 200, 5, 1, "ties_heavy"),
        case(rng, 500, 12, 2, "ties_light"),
        case(rng, 60, 4, 0, "ties_extreme_and_excluded", exclude=[(1, "no_positive"), (3, "no_negative")]),
    ]
    X = np.concatenate([rng.normal(loc=m, size=(40, 10)) for m in (0.0, 3.0)])
    Y = X[:, :2] + 0.3 * rng.normal(size=(80, 2))
    tw = {"X": X.ravel().tolist(), "dx": 10, "Y": Y.ravel().tolist(), "dy": 2,
          "k5": float(trustworthiness(X, Y, n_neighbors=5)),
          "k10": float(trustworthiness(X, Y, n_neighbors=10))}
    meta = {"sklearn": sklearn.__version__, "numpy": np.__version__}
    with open(os.path.join(out, "auc_cases.json"), "w") as f:
        json.dump({"meta": meta, "cases": cases}, f)
    with open(os.path.join(out, "trustworthiness.json"), "w") as f:
        json.dump({"meta": meta, **tw}, f)


if __name__ == "__main__":
    main()
