#!/usr/bin/python3
"""Writes the bad-input corpus in tests/corpus/ (one small file or record pair per failure kind).

Regenerate from the repository root:  /usr/bin/python3 tests/corpus/make_corpus.py
(Debian's python: numpy + scipy for the MAT v5 files.) The signals are synthetic (no dataset
data, so no licence terms): 12 leads, 500 Hz, 50 samples, ADC values 100 + 37*lead + 3*t
(never 0, so a tiny gain turns every sample of every lead into +inf). What each file must do
is in EXPECTED.tsv; tests/reliability/test_corpus.cpp checks it.
"""
import io
import os

import numpy as np
import scipy.io

HERE = os.path.dirname(os.path.abspath(__file__))
REC = os.path.join(HERE, "records")
LEADS = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
N = 50


def adc(n_leads=12, n=N):
    t = np.arange(n)
    return np.stack([100 + 37 * l + 3 * t for l in range(n_leads)], axis=1).astype(np.int64)


def header(name, v, gain="1000(0)/mV", n_samples=None, n_sig=None, fmt="16", leads=LEADS,
           checksums=None, dat=None):
    n, k = v.shape
    lines = ["%s %d 500 %d" % (name, k if n_sig is None else n_sig, n if n_samples is None else n_samples)]
    for s in range(k):
        cs = int(v[:, s].sum()) if n else 0
        cs = ((cs + 32768) % 65536) - 32768
        if checksums and s in checksums:
            cs = checksums[s]
        first = int(v[0, s]) if n else 0
        lines.append("%s %s %s 16 0 %d %d 0 %s" % (dat or name + ".dat", fmt, gain, first, cs, leads[s]))
    return "\n".join(lines) + "\n"


def put(rel, data):
    p = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def record(name, v=None, dat_bytes=None, **kw):
    v = adc() if v is None else v
    put("records/%s.hea" % name, header(name, v, **kw))
    put("records/%s.dat" % name, v.astype("<i2").tobytes() if dat_bytes is None else dat_bytes)


def cpsc_mat(name, data):
    buf = io.BytesIO()
    scipy.io.savemat(buf, {"ECG": {"sex": "Female", "age": np.array([[60.0]]), "data": data}},
                     do_compression=True, format="5")
    put("records/%s.mat" % name, buf.getvalue())


def main():
    v = adc()
    good_dat = v.astype("<i2").tobytes()
    # Controls: must be read and written by prepare.
    record("good", v)
    record("zero_gain", v, gain="0(0)/mV")          # WFDB: gain 0 = uncalibrated → 200 adu/mV
    record("report_non_utf8", v)                    # record fine; its labels.csv report is not UTF-8
    record("report_100k", v)                        # record fine; 100 kB report in labels.csv
    # Signal file problems.
    record("truncated", v, dat_bytes=good_dat[:100])
    record("size_mismatch", v, dat_bytes=good_dat + b"\0" * 24)
    record("bad_checksum", v, checksums={0: int(v[:, 0].sum()) + 1})
    put("records/missing_dat.hea", header("missing_dat", v))
    # Header problems.
    put("records/zero_length.hea", b"")
    put("records/garbage_header.hea", good_dat[:300])  # a signal file saved as .hea: binary, NULs
    record("absurd_gain", v, gain="1e999(0)/mV")    # overflows double
    record("tiny_gain", v, gain="1e-300(0)/mV")     # parses, but every sample becomes +inf
    record("wrong_lead_count", v[:, :11], n_sig=12)  # record line says 12, 11 signal lines
    record("missing_lead", v[:, :11], leads=LEADS[:11])  # consistent 11-lead record, no V6
    record("format_310", v, fmt="310")
    record("zero_samples", v[:0], dat_bytes=b"")    # header and file agree: 0 samples
    # MAT v5 (CPSC 2018 layout): NaN / inf samples, wrong lead count, not a MAT file.
    mv = v.T.astype(np.float64) / 1000.0           # (12, 50) mV
    bad = mv.copy()
    bad[0, 10] = np.inf
    bad[0, 11] = -np.inf
    bad[1, :] = np.nan                              # lead II: no finite sample at all
    cpsc_mat("nan_samples", bad)
    partial = mv.copy()
    partial[3, 5] = np.nan                          # one NaN: filled from its neighbours
    cpsc_mat("nan_one_sample", partial)
    cpsc_mat("cpsc_11_leads", mv[:11])
    put("records/not_a_mat.mat", b"MATLAB 5.0 MAT-file, but then nothing useful" + b"\x00" * 20)

    # Folder-dataset labels CSV: id, report, labels (0/1 per class).
    rows = [b"id,report,NORM,MI"]
    for name in ["good", "zero_gain", "truncated", "nan_one_sample"]:
        rows.append(name.encode() + b",sinus rhythm. normal ecg,1,0")
    rows.append(b"report_non_utf8,\"sinusrhythmus \xe4\xf6\xfc latin-1 bytes\",0,1")
    rows.append(b"report_100k,\"" + (b"sinus rhythm with occasional ectopy. " * 2800)[:100_000] + b"\",1,1")
    put("labels.csv", b"\n".join(rows) + b"\n")
    put("labels_duplicate_ids.csv", b"id,report,NORM\ngood,first report,1\ngood,second report,0\n")
    put("labels_bad_value.csv", b"id,report,NORM\ngood,sinus rhythm,yes\n")

    # PTB-XL-like database CSVs (prepare --dataset ptbxl reads both files from the source folder).
    scp = ("," "description,diagnostic,form,rhythm,diagnostic_class,diagnostic_subclass\n"
           "NORM,normal ECG,1.0,,,NORM,NORM\nSR,sinus rhythm,,,1.0,,\n")
    cols = "ecg_id,patient_id,report,scp_codes,strat_fold,filename_lr,filename_hr"
    row = '%d,1.0,sinusrhythmus normales ekg,"{\'NORM\': 100.0, \'SR\': 0.0}",3,records100/00000/%05d_lr,records500/00000/%05d_hr'
    put("ptbxl_missing_labels/scp_statements.csv", scp)
    put("ptbxl_missing_labels/ptbxl_database.csv",
        "ecg_id,patient_id,report,strat_fold,filename_lr,filename_hr\n"
        "1,1.0,sinusrhythmus,3,records100/00000/00001_lr,records500/00000/00001_hr\n")
    put("ptbxl_duplicate_ids/scp_statements.csv", scp)
    put("ptbxl_duplicate_ids/ptbxl_database.csv",
        cols + "\n" + "\n".join(row % (i, i, i) for i in (1, 2, 2)) + "\n")


if __name__ == "__main__":
    main()
