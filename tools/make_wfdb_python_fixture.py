#!/usr/bin/env python3
"""Per-record statistics of every WFDB record under a data folder, decoded by wfdb-python.

wfdb-python (PyPI `wfdb`, PhysioNet's reader) is an implementation independent of cgdmer's
src/io/wfdb_reader.cpp; tests/io/test_wfdb_python_fixture.cpp compares the two on every record.
Run through scripts/make_wfdb_fixture.sh (it creates the venv and pins wfdb), or:
    .venv-fixture/bin/python tools/make_wfdb_python_fixture.py ../shared/data OUT.json

Per record (key: path of the .hea relative to the data folder, without ".hea"):
  fs, n (samples per lead), leads (names), units, adc_sum (per lead: sum of the digital values,
  exact integers), sum / sumsq (per lead: sum and sum of squares of the physical values, wfdb's
  p_signal in float64, 10 significant digits). A record wfdb-python cannot read gets
  {"error": message} instead.
"""
import json
import os
import sys

import numpy as np
import wfdb


def stats(hea):
    rec_path = hea[:-4]
    d = wfdb.rdrecord(rec_path, physical=False)
    adc = d.d_signal.astype(np.int64)  # (n, n_sig)
    p = wfdb.rdrecord(rec_path, physical=True, return_res=64).p_signal
    g = lambda x: float("%.10g" % x)
    return {
        "fs": float(d.fs),
        "n": int(d.sig_len),
        "leads": list(d.sig_name),
        "units": list(d.units),
        "adc_sum": [int(v) for v in adc.sum(axis=0)],
        "sum": [g(v) for v in np.nansum(p, axis=0)],
        "sumsq": [g(v) for v in np.nansum(p * p, axis=0)],
    }


def main():
    root, out = sys.argv[1], sys.argv[2]
    heas = []
    for dirpath, _, files in os.walk(root):
        heas += [os.path.join(dirpath, f) for f in files if f.endswith(".hea")]
    heas.sort()
    result = {"generator": "tools/make_wfdb_python_fixture.py", "wfdb_version": wfdb.__version__, "records": {}}
    for i, hea in enumerate(heas):
        key = os.path.relpath(hea, root)[:-4]
        try:
            result["records"][key] = stats(hea)
        except Exception as e:  # recorded, and compared: cgdmer must refuse it too (or say why not)
            result["records"][key] = {"error": "%s: %s" % (type(e).__name__, e)}
        if i % 500 == 0:
            print(i, key, file=sys.stderr)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(result, f, separators=(",", ":"), sort_keys=True)
        f.write("\n")
    n_err = sum(1 for r in result["records"].values() if "error" in r)
    print("%d records, %d unreadable by wfdb" % (len(heas), n_err))


if __name__ == "__main__":
    main()
