#!/usr/bin/python3
"""Collapse check of feature matrices written by `cgdmer embed` (.npy, (N, D)):
effective rank (exp of the entropy of the normalised singular values of the centred
features), mean off-diagonal cosine of the raw rows, and the ratio of across-record spread
to the mean's norm. usage: tools/feature_stats.py A.npy [B.npy ...]"""
import sys
import numpy as np

for path in sys.argv[1:]:
    x = np.load(path).astype(np.float64)
    xc = x - x.mean(0)
    s = np.linalg.svd(xc, compute_uv=False)
    p = s / s.sum()
    erank = float(np.exp(-(p[p > 0] * np.log(p[p > 0])).sum()))
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    c = xn @ xn.T
    n = len(x)
    mean_cos = float((c.sum() - n) / (n * (n - 1)))
    spread = float(np.linalg.norm(xc, axis=1).mean() / (np.linalg.norm(x.mean(0)) + 1e-12))
    print("%s: N=%d D=%d effective rank %.2f, mean cosine %.4f, spread/|mean| %.3f, top-3 sv share %s"
          % (path, n, x.shape[1], erank, mean_cos, spread, np.round(p[:3], 3).tolist()))
