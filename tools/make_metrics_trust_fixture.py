#!/usr/bin/python3
"""Writes tests/fixtures/metrics/trust_cases.json: multi-label validation/test logits WITH TIES
and edge-case classes, plus scikit-learn's / numpy's / scipy's answers for the "metrics you can
trust" code (src/metrics/{average_precision,threshold_metrics,calibration,temperature}):
average_precision_score, thresholds chosen on validation (max F1 over precision_recall_curve,
exact-fraction F1, see max_f1_threshold) and confusion_matrix / precision / recall /
f1_score(zero_division=0) / specificity at them on test, brier_score_loss and calibration_curve(strategy='uniform', n_bins=15) of sigmoid(test
logits), a numpy ECE over the same bins, and temperatures fitted by scipy. Run with Debian's
python (sklearn 1.2.1, numpy 1.24, scipy 1.10):

    /usr/bin/python3 tools/make_metrics_trust_fixture.py tests/fixtures/metrics
"""
import json
import os
import sys
from fractions import Fraction

import numpy as np
import scipy
import sklearn
from scipy.optimize import brentq, minimize_scalar
from scipy.special import expit, log_softmax, softmax
from sklearn.calibration import calibration_curve
from sklearn.metrics import (average_precision_score, brier_score_loss, confusion_matrix,
                             f1_score, precision_recall_curve, precision_score, recall_score,
                             roc_auc_score)

N_BINS = 15
T_BRACKET = (1e-3, 1e3)


def sigmoid(z):
    return expit(z)  # stable for large |z|


def max_f1_threshold(y, s):
    # max_f1.cpp: the max over precision_recall_curve's thresholds of F1 = 2tp/(tp+fp+P),
    # lowest threshold among equal maxima (np.argmax order). Compared as exact fractions:
    # sklearn's float 2PR/(P+R) can split an exact tie by an ulp either way (it does here:
    # case "small", class 0, F1 = 2/3 at thresholds 0.13 and 0.65).
    _, _, t = precision_recall_curve(y, s)
    P = int(y.sum())
    best, best_t = None, None
    for th in t:  # ascending
        tp = int(((s >= th) & (y == 1)).sum())
        fp = int(((s >= th) & (y == 0)).sum())
        f1 = Fraction(2 * tp, tp + fp + P)
        if best is None or f1 > best:
            best, best_t = f1, float(th)
    return best_t


def ece_numpy(y, p, n_bins=N_BINS):
    # ECE = sum_b |b|/N * |mean p in b - frac positives in b|, calibration_curve's binning.
    bins = np.linspace(0.0, 1.0, n_bins + 1)
    ids = np.searchsorted(bins[1:-1], p)
    total = np.bincount(ids, minlength=n_bins).astype(float)
    psum = np.bincount(ids, weights=p, minlength=n_bins)
    pos = np.bincount(ids, weights=y, minlength=n_bins)
    nz = total > 0
    ece = float(np.sum(total[nz] / len(p) * np.abs(psum[nz] / total[nz] - pos[nz] / total[nz])))
    return ece, np.nonzero(nz)[0].tolist(), total[nz].astype(int).tolist()


def fit_t_binary(z, y):
    # NLL(a) = mean softplus(a z) - y a z is convex in a = 1/T: root of its derivative.
    g = lambda a: float(np.mean((sigmoid(a * z) - y) * z))
    nll = lambda t: float(np.mean(np.logaddexp(0, z / t) - y * z / t))
    a = brentq(g, 1 / T_BRACKET[1], 1 / T_BRACKET[0], xtol=1e-15, rtol=4 * np.finfo(float).eps)
    # Cross-check with a derivative-free minimiser on log T.
    m = minimize_scalar(lambda u: nll(np.exp(u)), bounds=np.log(T_BRACKET), method="bounded",
                        options={"xatol": 1e-10})
    assert abs(np.exp(m.x) * a - 1) < 1e-6, (np.exp(m.x), 1 / a)
    return 1 / a, nll(1 / a), nll(1.0)


def fit_t_softmax(z, t):
    rows = np.arange(len(t))
    g = lambda a: float(np.mean(np.sum(softmax(a * z, axis=1) * z, axis=1) - z[rows, t]))
    nll = lambda T: float(-np.mean(log_softmax(z / T, axis=1)[rows, t]))
    a = brentq(g, 1 / T_BRACKET[1], 1 / T_BRACKET[0], xtol=1e-15, rtol=4 * np.finfo(float).eps)
    m = minimize_scalar(lambda u: nll(np.exp(u)), bounds=np.log(T_BRACKET), method="bounded",
                        options={"xatol": 1e-10})
    assert abs(np.exp(m.x) * a - 1) < 1e-6, (np.exp(m.x), 1 / a)
    return 1 / a, nll(1 / a), nll(1.0)


def logits_and_labels(rng, n, c, decimals, scale):
    # Labels first, logits = signal + noise rounded (ties); overconfident by `scale`.
    prev = rng.uniform(0.1, 0.4, size=c)
    y = (rng.uniform(size=(n, c)) < prev).astype(int)
    z = np.round(scale * (1.2 * y - 0.8 + rng.normal(size=(n, c))), decimals)
    return z, y


def case(rng, name, n_val, n_test, c, decimals, scale, edits=()):
    zv, yv = logits_and_labels(rng, n_val, c, decimals, scale)
    zt, yt = logits_and_labels(rng, n_test, c, decimals, scale)
    for cls, kind in edits:
        if kind == "all_equal":          # every score tied, in validation and test
            zv[:, cls] = 0.0
            zt[:, cls] = 0.0
        elif kind == "no_positive_test":
            yt[:, cls] = 0
        elif kind == "no_negative_test":
            yt[:, cls] = 1
        elif kind == "no_positive_val":
            yv[:, cls] = 0
    pt = sigmoid(zt)
    out = {"name": name, "n_val": n_val, "n_test": n_test, "n_classes": c,
           "val_logits": zv.ravel().tolist(), "val_labels": yv.ravel().tolist(),
           "test_logits": zt.ravel().tolist(), "test_labels": yt.ravel().tolist(),
           "edits": [[k, e] for k, e in edits], "per_class": []}
    included = [k for k in range(c) if 0 < yt[:, k].sum() < n_test]
    for k in range(c):
        y, s, p = yt[:, k], zt[:, k], pt[:, k]
        thr = max_f1_threshold(yv[:, k], zv[:, k]) if yv[:, k].sum() > 0 else None  # None = +inf
        pred = (s >= (np.inf if thr is None else thr)).astype(int)
        tn, fp, fn, tp = confusion_matrix(y, pred, labels=[0, 1]).ravel()
        prob_true, prob_pred = calibration_curve(y, p, n_bins=N_BINS, strategy="uniform")
        ece, bins, counts = ece_numpy(y, p)
        out["per_class"].append({
            "threshold": thr,
            "tp": int(tp), "fp": int(fp), "tn": int(tn), "fn": int(fn),
            "precision": float(precision_score(y, pred, zero_division=0)),
            "recall": float(recall_score(y, pred, zero_division=0)),
            "specificity": float(recall_score(1 - y, 1 - pred, zero_division=0)),
            "f1": float(f1_score(y, pred, zero_division=0)),
            # sklearn's AP wherever it is defined (some positive); the code throws otherwise.
            "ap": float(average_precision_score(y, s)) if y.sum() > 0 else None,
            "auroc": float(roc_auc_score(y, s)) if k in included else None,
            "brier": float(brier_score_loss(y, p)),
            "calib_prob_true": prob_true.tolist(), "calib_prob_pred": prob_pred.tolist(),
            "calib_bins": bins, "calib_counts": counts, "ece": ece,
        })
    out["included"] = included
    out["macro_ap"] = float(average_precision_score(yt[:, included], zt[:, included], average="macro"))
    out["macro_auroc"] = float(roc_auc_score(yt[:, included], zt[:, included], average="macro"))
    pc = out["per_class"]
    out["macro_f1"] = float(np.mean([pc[k]["f1"] for k in included]))
    out["macro_sensitivity"] = float(np.mean([pc[k]["recall"] for k in included]))
    out["macro_specificity"] = float(np.mean([pc[k]["specificity"] for k in included]))
    out["macro_brier"] = float(np.mean([q["brier"] for q in pc]))
    out["macro_ece"] = float(np.mean([q["ece"] for q in pc]))
    T, nll_t, nll_1 = fit_t_binary(zv.ravel().astype(float), yv.ravel().astype(float))
    out["temperature"] = {"T": T, "nll": nll_t, "nll_at_1": nll_1}
    return out


def softmax_case(rng, n, k, scale):
    t = rng.randint(0, k, size=n)
    z = scale * (rng.normal(size=(n, k)) + 1.5 * np.eye(k)[t])
    T, nll_t, nll_1 = fit_t_softmax(z, t)
    return {"n": n, "n_classes": k, "logits": z.ravel().tolist(), "targets": t.tolist(),
            "T": T, "nll": nll_t, "nll_at_1": nll_1}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/metrics"
    os.makedirs(out, exist_ok=True)
    rng = np.random.RandomState(20261201)
    cases = [
        case(rng, "ties_and_edges", 300, 400, 6, 1, 2.5,
             edits=[(2, "all_equal"), (3, "no_positive_test"), (4, "no_positive_val"),
                    (5, "no_negative_test")]),
        case(rng, "heavy_ties_underconfident", 200, 250, 3, 0, 0.6),
        case(rng, "small", 40, 50, 4, 2, 1.0),
    ]
    sm = [softmax_case(rng, 500, 4, 3.0), softmax_case(rng, 300, 7, 0.4)]
    meta = {"sklearn": sklearn.__version__, "numpy": np.__version__, "scipy": scipy.__version__,
            "n_bins": N_BINS}
    with open(os.path.join(out, "trust_cases.json"), "w") as f:
        json.dump({"meta": meta, "cases": cases, "softmax": sm}, f)


if __name__ == "__main__":
    main()
