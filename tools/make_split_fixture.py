#!/usr/bin/python3
"""Fixture for cgdmer's train_test_split / numpy legacy permutation (tests/data/test_splits.cpp).

Run with Debian's python (numpy 1.24, scikit-learn 1.2.1):
    /usr/bin/python3 tools/make_split_fixture.py > tests/fixtures/data/splits.json

For each case it records what sklearn.model_selection.train_test_split(range(n), train_size=...,
test_size=..., random_state=42) returns: the full train index list (in sklearn's order) and,
for the large test sides, their length, first 64 indices and sum. It also stores
numpy.random.RandomState(seed).permutation(n) for small n.
"""
import json
import sys

import numpy as np
import sklearn
from sklearn.model_selection import train_test_split

cases = [
    # MERL 1 % / 10 % training subsets (peers.md §2b): PTB-XL super/sub, form, rhythm, CPSC, CSN
    dict(n=17084, train_size=0.01), dict(n=17084, train_size=0.1),
    dict(n=7197, train_size=0.01), dict(n=7197, train_size=0.1),
    dict(n=16832, train_size=0.01), dict(n=4950, train_size=0.1), dict(n=16546, train_size=0.01),
    # MERL's random CPSC / CSN splits: test_size=0.2 then 0.1
    dict(n=6877, test_size=0.2), dict(n=5501, test_size=0.1),
    # small and odd sizes
    dict(n=10, train_size=0.5), dict(n=7, train_size=0.3), dict(n=3, test_size=0.34),
    dict(n=100, train_size=25), dict(n=1000, train_size=0.25, test_size=0.5),
    dict(n=50),
]
out = {"numpy": np.__version__, "sklearn": sklearn.__version__, "random_state": 42, "cases": [],
       "permutations": []}
for c in cases:
    kw = {k: v for k, v in c.items() if k != "n"}
    tr, te = train_test_split(np.arange(c["n"]), random_state=42, **kw)
    out["cases"].append(dict(c, train=[int(i) for i in tr], n_test=len(te),
                             test_head=[int(i) for i in te[:64]], test_sum=int(np.sum(te))))
for seed, n in [(42, 20), (0, 33), (12345, 64)]:
    out["permutations"].append(dict(seed=seed, n=n,
                                    perm=[int(i) for i in np.random.RandomState(seed).permutation(n)]))
json.dump(out, sys.stdout, separators=(",", ":"))
sys.stdout.write("\n")
