#!/usr/bin/python3
"""Golden values for tests/io, computed independently of the C++ readers.

WFDB / Challenge records are decoded here straight from the raw bytes with numpy (int16
little-endian, frame-interleaved, after the header's byte offset); CPSC 2018 MAT v5 files with
scipy.io.loadmat; resampling with scipy.signal.resample_poly; CSV with Python's csv module.
It also writes a small format-212 record (tests/fixtures/io/fmt212/), encoded here from real
LUDB samples, because no shared record uses format 212.

Regenerate (from the repository root, with Debian's python):
    /usr/bin/python3 tools/make_io_golden.py ../shared/data tests/fixtures/io
"""
import csv
import json
import os
import sys

import numpy as np
import scipy.io
import scipy.signal

DATA = sys.argv[1] if len(sys.argv) > 1 else "../shared/data"
OUT = sys.argv[2] if len(sys.argv) > 2 else "tests/fixtures/io"


def parse_hea(path):
    """Minimal independent .hea reading: enough for the records used here."""
    lines = [l.strip() for l in open(path, encoding="latin-1")]
    lines = [l for l in lines if l and not l.startswith("#")]
    rec = lines[0].split()
    n_sig, fs, n = int(rec[1]), float(rec[2]), int(rec[3])
    sigs = []
    for l in lines[1:1 + n_sig]:
        t = l.split()
        fmt = t[1]
        offset = int(fmt.split("+")[1]) if "+" in fmt else 0
        g = t[2].split("/")[0]
        if "(" in g:
            gain, base = float(g.split("(")[0]), float(g.split("(")[1].rstrip(")"))
        else:
            gain, base = float(g), float(t[4])
        sigs.append(dict(file=t[0], offset=offset, gain=gain or 200.0, baseline=base,
                         checksum=int(t[6]), name=" ".join(t[8:]) if len(t) > 8 else ""))
    return n_sig, fs, n, sigs


def wfdb_golden(rel, picks):
    hea = os.path.join(DATA, rel)
    n_sig, fs, n, sigs = parse_hea(hea)
    d = os.path.dirname(hea)
    adc = np.zeros((n_sig, n), dtype=np.int64)
    i = 0
    while i < n_sig:  # groups of consecutive signals sharing a file
        j = i
        while j < n_sig and sigs[j]["file"] == sigs[i]["file"]:
            j += 1
        raw = open(os.path.join(d, sigs[i]["file"]), "rb").read()[sigs[i]["offset"]:]
        v = np.frombuffer(raw, dtype="<i2").reshape(n, j - i)
        adc[i:j] = v.T
        i = j
    out = dict(path=rel, fs=fs, n_leads=n_sig, n_samples=n,
               lead_names=[s["name"] for s in sigs], samples=[])
    for lead, t in picks:
        s = sigs[lead]
        phys = np.float32((float(adc[lead, t]) - s["baseline"]) / s["gain"])
        out["samples"].append(dict(lead=lead, t=t, adc=int(adc[lead, t]), value=float(phys)))
    sums = adc.sum(axis=1)
    out["checksums"] = [int(((x + 32768) % 65536) - 32768) for x in sums]
    # The checksums must agree with the header (mod 2^16), or the record is not a valid test.
    for k, s in enumerate(sigs):
        assert (sums[k] - s["checksum"]) % 65536 == 0, (rel, k)
    return out, adc, sigs


def picks_for(n_sig, n):
    return [(l, t) for l, t in [(0, 0), (1, 1), (n_sig - 1, n - 1), (n_sig // 2, n // 2),
                                (2, 123), (min(6, n_sig - 1), n // 3)]]


def main():
    records = []
    for rel in ["ptb-xl/records100/00000/00001_lr.hea",
                "ptb-xl/records100/01000/01999_lr.hea",
                "ptb-xl/records500/00000/00001_hr.hea",
                "ludb/data/1.hea",
                "ptb_diagnostic/patient001/s0010_re.hea",
                "physionet_challenge_2021/training/georgia/E00015.hea",
                "physionet_challenge_2021/training/georgia/E07503.hea",
                "physionet_challenge_2021/training/ningbo/JS20000.hea",
                "physionet_challenge_2021/training/ptb/S0001.hea",
                "csn_ecg_arrhythmia/WFDBRecords/01/010/JS00001.hea"]:
        n_sig, _, n, _ = parse_hea(os.path.join(DATA, rel))
        g, _, _ = wfdb_golden(rel, picks_for(n_sig, n))
        records.append(g)

    # CPSC 2018 MAT v5 via scipy.
    cpsc = []
    for name in ["A1980", "A1988"]:
        rel = "cpsc2018/%s.mat" % name
        m = scipy.io.loadmat(os.path.join(DATA, rel))
        e = m["ECG"][0, 0]
        data = np.asarray(e["data"], dtype=np.float64)
        n = data.shape[1]
        samples = [dict(lead=l, t=t, value=float(np.float32(data[l, t])))
                   for l, t in picks_for(12, n)]
        cpsc.append(dict(path=rel, n_leads=data.shape[0], n_samples=n,
                         sex=str(e["sex"][0]), age=int(np.asarray(e["age"]).ravel()[0]),
                         samples=samples, lead_sums=[float(x) for x in data.sum(axis=1)]))

    # Format 212 fixture: LUDB record 1, its first 3 leads, 1001 samples (3003 values: the odd
    # tail exercises the 2-byte final sample). LUDB's ADC values exceed 12 bits, so the fixture
    # stores adc // 4 (with the header's gain divided by 4 so the physical values stay ~mV).
    _, adc, sigs = wfdb_golden("ludb/data/1.hea", [])
    n212, k212 = 1001, 3
    v = (adc[:k212, :n212] // 4).astype(np.int64)
    assert v.min() > -2048 and v.max() < 2048
    flat = v.T.reshape(-1)  # frame-interleaved
    u = flat & 0xFFF
    nb = (len(u) // 2) * 3 + (2 if len(u) % 2 else 0)
    b = bytearray(nb)
    for p in range(0, len(u) - 1, 2):
        a, c = int(u[p]), int(u[p + 1])
        q = (p // 2) * 3
        b[q] = a & 0xFF
        b[q + 1] = ((a >> 8) & 0x0F) | ((c >> 8) << 4)
        b[q + 2] = c & 0xFF
    if len(u) % 2:
        a = int(u[-1])
        q = (len(u) // 2) * 3
        b[q] = a & 0xFF
        b[q + 1] = (a >> 8) & 0x0F
    d212 = os.path.join(OUT, "fmt212")
    os.makedirs(d212, exist_ok=True)
    open(os.path.join(d212, "ludb1_212.dat"), "wb").write(bytes(b))
    hea = ["ludb1_212 %d 500 %d" % (k212, n212)]
    fmt212 = dict(path="fmt212/ludb1_212.hea", fs=500.0, n_leads=k212, n_samples=n212,
                  lead_names=[], samples=[], checksums=[])
    for k in range(k212):
        s = sigs[k]
        gain = s["gain"] / 4
        base = int(s["baseline"]) // 4
        cs = int(((v[k].sum() + 32768) % 65536) - 32768)
        hea.append("ludb1_212.dat 212 %g(%d)/mV 12 0 %d %d 0 %s" % (gain, base, v[k, 0], cs, s["name"]))
        fmt212["lead_names"].append(s["name"])
        fmt212["checksums"].append(cs)
        for t in [0, 1, 500, n212 - 1]:
            fmt212["samples"].append(dict(lead=k, t=t, adc=int(v[k, t]),
                                          value=float(np.float32((v[k, t] - base) / gain))))
    hea.append("# 3 leads of LUDB record 1 re-encoded as WFDB format 212 by tools/make_io_golden.py")
    open(os.path.join(d212, "ludb1_212.hea"), "w").write("\n".join(hea) + "\n")

    # Resampling references: scipy.signal.resample_poly on real leads (float32 input).
    res = []
    for rel, lead, n_in, fs_in, fs_out in [
            ("ptb_diagnostic/patient001/s0010_re.hea", 1, 4000, 1000, 500),
            ("ludb/data/1.hea", 0, 5000, 500, 100),
            ("ludb/data/1.hea", 6, 1285, 257, 500)]:  # LUDB samples taken as a 257 Hz signal
        _, a, ss = wfdb_golden(rel, [])
        x = ((a[lead, :n_in] - ss[lead]["baseline"]) / ss[lead]["gain"]).astype(np.float32)
        y = scipy.signal.resample_poly(x.astype(np.float64), fs_out, fs_in)
        idx = sorted(set([0, 1, 2, len(y) // 3, len(y) // 2, len(y) - 2, len(y) - 1]))
        res.append(dict(path=rel, lead=lead, n_in=n_in, fs_in=fs_in, fs_out=fs_out,
                        n_out=len(y), idx=idx, values=[float(y[i]) for i in idx]))

    # Preprocessing reference for PTB-XL 00001_hr (500 Hz, 12 × 5000, no NaN): MIMIC lead order
    # then global min–max with the 1e-8 term, in float64 from the float32 readings.
    _, a, ss = wfdb_golden("ptb-xl/records500/00000/00001_hr.hea", [])
    x = np.stack([((a[k] - ss[k]["baseline"]) / ss[k]["gain"]).astype(np.float32)
                  for k in range(12)]).astype(np.float64)
    names = [s["name"].lower() for s in ss]
    order = ["i", "ii", "iii", "avr", "avf", "avl", "v1", "v2", "v3", "v4", "v5", "v6"]
    x = x[[names.index(o) for o in order]]
    z = (x - x.min()) / (x.max() - x.min() + 1e-8)
    pre = dict(path="ptb-xl/records500/00000/00001_hr.hea",
               picks=[dict(lead=l, t=t, value=float(z[l, t]))
                      for l, t in [(0, 0), (4, 100), (5, 100), (11, 4999), (3, 2500)]],
               argmin=[int(i) for i in np.unravel_index(np.argmin(z), z.shape)],
               argmax=[int(i) for i in np.unravel_index(np.argmax(z), z.shape)])

    # CSV: PTB-XL database, parsed by Python's csv module.
    rows = list(csv.reader(open(os.path.join(DATA, "ptb-xl/ptbxl_database.csv"), newline="",
                                encoding="utf-8")))
    header, body = rows[0], rows[1:]
    multiline = sum(1 for r in body if any("\n" in f for f in r))
    quoted_comma = sum(1 for r in body if any("," in f for f in r))
    pick = [0, 1, len(body) - 1] + [i for i, r in enumerate(body) if any("\n" in f for f in r)][:2]
    csv_g = dict(path="ptb-xl/ptbxl_database.csv", n_rows=len(body), n_cols=len(header),
                 header=header, rows_with_newline=multiline, rows_with_comma=quoted_comma,
                 cells=[dict(row=i, col=c, value=body[i][header.index(c)])
                        for i in pick for c in ["ecg_id", "report", "scp_codes", "filename_lr"]])

    json.dump(dict(wfdb=records, cpsc=cpsc, fmt212=fmt212, resample=res, preprocess=pre,
                   csv=csv_g), open(os.path.join(OUT, "golden_samples.json"), "w"), indent=1,
              ensure_ascii=False)
    print("wrote", os.path.join(OUT, "golden_samples.json"))


if __name__ == "__main__":
    main()
