#!/usr/bin/python3
"""Writes tests/fixtures/eval/tsne.json: 150 points in 20-D (three Gaussian clusters), and
scikit-learn 1.2.1's TSNE on them (exact and Barnes-Hut, default settings otherwise:
perplexity 30, early exaggeration 12, learning_rate 'auto', init 'pca'), with the final KL,
trustworthiness (k = 5, 10) and the first rows of the joint probability matrix P.

    /usr/bin/python3 tools/make_tsne_fixture.py tests/fixtures/eval
"""
import json
import os
import sys

import numpy as np
import sklearn
from sklearn.manifold import TSNE, trustworthiness
from sklearn.manifold._t_sne import _joint_probabilities
from sklearn.metrics import pairwise_distances


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/eval"
    os.makedirs(out, exist_ok=True)
    rng = np.random.RandomState(0)
    centers = rng.normal(scale=4.0, size=(3, 20))
    X = np.concatenate([c + rng.normal(size=(50, 20)) for c in centers]).round(4)
    labels = np.repeat(np.arange(3), 50)
    D = pairwise_distances(X, squared=True)
    P = _joint_probabilities(D, 30.0, 0)
    from scipy.spatial.distance import squareform
    Psq = squareform(P)
    res = {"meta": {"sklearn": sklearn.__version__}, "n": 150, "d": 20,
           "X": X.ravel().tolist(), "labels": labels.tolist(), "P_rows": Psq[:3].ravel().tolist()}
    for method in ("exact", "barnes_hut"):
        t = TSNE(method=method, init="pca", learning_rate="auto", random_state=0)
        Y = t.fit_transform(X)
        res[method] = {"kl": float(t.kl_divergence_), "n_iter": int(t.n_iter_),
                       "tw5": float(trustworthiness(X, Y, n_neighbors=5)),
                       "tw10": float(trustworthiness(X, Y, n_neighbors=10)),
                       "Y": Y.astype(float).ravel().tolist()}
    with open(os.path.join(out, "tsne.json"), "w") as f:
        json.dump(res, f)
    print({m: {k: v for k, v in res[m].items() if k != "Y"} for m in ("exact", "barnes_hut")})


if __name__ == "__main__":
    main()
