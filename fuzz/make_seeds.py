#!/usr/bin/python3
"""Writes the libFuzzer seed corpora under fuzz/corpus/<target>/ from ../shared/data.

Run from the repository root:  /usr/bin/python3 fuzz/make_seeds.py
(Debian's python: numpy + scipy are needed for the MAT v5 seeds.) Every seed is small (< 4 KB):
records are cut to a few samples and their checksums / MAT headers recomputed, so the seeds
are valid inputs the fuzzer mutates from. Sources and licences: fuzz/README.md.
"""
import io
import json
import os
import re
import struct
import sys

import numpy as np
import scipy.io

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data")
OUT = os.path.join(ROOT, "fuzz", "corpus")
SEP = b"\n=====\n"


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(rel, mode="rb"):
    with open(os.path.join(DATA, rel), mode) as f:
        return f.read()


# ---- WFDB helpers ---------------------------------------------------------------------------
def parse_hea(text):
    lines = [l for l in text.splitlines()]
    rec = None
    sigs, comments = [], []
    for l in lines:
        if l.startswith("#"):
            comments.append(l)
        elif l.strip():
            if rec is None:
                rec = l.split()
            else:
                sigs.append(l.split(None, 8))
    return rec, sigs, comments


def decode16(b, n_sig, n):
    return np.frombuffer(b[: 2 * n_sig * n], dtype="<i2").reshape(n, n_sig).astype(np.int64)


def decode212(b, n_sig, n):
    vals = []
    total = n_sig * n
    for i in range(0, total, 2):
        p = b[(i // 2) * 3:(i // 2) * 3 + 3]
        a = p[0] | ((p[1] & 0x0F) << 8)
        vals.append(a - 4096 if a >= 2048 else a)
        if i + 1 < total:
            c = p[2] | ((p[1] & 0xF0) << 4)
            vals.append(c - 4096 if c >= 2048 else c)
    return np.array(vals, dtype=np.int64).reshape(n, n_sig)


def encode212(v):
    flat = [int(x) & 0xFFF for x in v.reshape(-1)]
    out = bytearray()
    for i in range(0, len(flat), 2):
        a = flat[i]
        if i + 1 < len(flat):
            c = flat[i + 1]
            out += bytes([a & 0xFF, ((a >> 8) & 0x0F) | ((c >> 8) << 4), c & 0xFF])
        else:
            out += bytes([a & 0xFF, (a >> 8) & 0x0F])
    return bytes(out)


def cut_record(hea_text, sig_bytes, n_keep, offset=0):
    """Header + signal bytes of the first n_keep frames, checksums recomputed."""
    rec, sigs, comments = parse_hea(hea_text)
    n_sig = int(rec[1])
    fmt = int(re.match(r"\d+", sigs[0][1]).group())
    n = int(rec[3])
    body = sig_bytes[offset:]
    v = decode16(body, n_sig, n) if fmt == 16 else decode212(body, n_sig, n)
    v = v[:n_keep]
    rec[3] = str(n_keep)
    out = [" ".join(rec)]
    for s, f in enumerate(sigs):
        f = list(f)
        if len(f) > 6:
            f[6] = str(int(v[:, s].sum()) % 65536 if int(f[6]) > 32767 else
                       ((int(v[:, s].sum()) + 32768) % 65536) - 32768)
        if len(f) > 5:
            f[5] = str(int(v[0, s]))
        out.append(" ".join(f))
    text = "\n".join(out + comments[:4]) + "\n"
    data = v.astype("<i2").tobytes() if fmt == 16 else encode212(v)
    return text, data, v


def mat_v4(v):
    """MAT v4 'val' matrix, leads x samples int16, column-major (Challenge layout)."""
    n, n_sig = v.shape
    return struct.pack("<5i", 30, n_sig, n, 0, 4) + b"val\0" + v.astype("<i2").tobytes()


def main():
    # .hea parser: real headers as they are (all < 4 KB).
    for rel in ["ptb-xl/records100/00000/00001_lr.hea", "ptb-xl/records500/00000/00001_hr.hea",
                "ludb/data/1.hea", "physionet_challenge_2021/training/georgia/E00001.hea",
                "physionet_challenge_2021/training/ningbo/JS20006.hea",
                "ptb_diagnostic/patient001/s0010_re.hea"]:
        try:
            put("fuzz_wfdb_header", os.path.basename(rel), read(rel))
        except FileNotFoundError:
            print("missing", rel, file=sys.stderr)
    put("fuzz_wfdb_header", "ludb1_212.hea",
        open(os.path.join(ROOT, "tests/fixtures/io/fmt212/ludb1_212.hea"), "rb").read())

    # Records: WFDB format 16 (PTB-XL, LUDB), format 212 (the LUDB re-encoding fixture),
    # Challenge MAT v4 (Georgia). Cut to a few frames, checksums recomputed.
    hea = read("ptb-xl/records100/00000/00001_lr.hea").decode()
    text, data, v_ptbxl = cut_record(hea, read("ptb-xl/records100/00000/00001_lr.dat"), 8)
    put("fuzz_wfdb_record", "ptbxl_00001_lr_8", text.encode() + SEP + data)
    hea = read("ludb/data/1.hea").decode()
    text, data, _ = cut_record(hea, read("ludb/data/1.dat"), 5)
    put("fuzz_wfdb_record", "ludb_1_5", text.encode() + SEP + data)
    fx = os.path.join(ROOT, "tests/fixtures/io/fmt212/ludb1_212")
    hea = open(fx + ".hea").read()
    text, data, _ = cut_record(hea, open(fx + ".dat", "rb").read(), 7)  # 21 values: odd tail
    put("fuzz_wfdb_record", "ludb1_212_7", text.encode() + SEP + data)
    text, data, _ = cut_record(hea, open(fx + ".dat", "rb").read(), 6)
    put("fuzz_wfdb_record", "ludb1_212_6", text.encode() + SEP + data)
    hea = read("physionet_challenge_2021/training/georgia/E00001.hea").decode()
    mat = read("physionet_challenge_2021/training/georgia/E00001.mat")
    text, _, v = cut_record(hea, mat, 6, offset=24)
    put("fuzz_wfdb_record", "georgia_E00001_6", text.encode() + SEP + mat_v4(v))
    put("fuzz_mat_v4", "georgia_E00001_6", bytes([11, 6, 0]) + mat_v4(v))
    put("fuzz_mat_v4", "georgia_E00001_2leads_3", bytes([1, 3, 0]) + mat_v4(v[:3, :2]))

    # MAT v5 (CPSC 2018 layout: struct ECG with sex, age, data 12 x n doubles in mV). The CPSC
    # files carry no licence, so the values are PTB-XL 00001_lr's first samples (CC BY 4.0).
    mv = v_ptbxl.T.astype(np.float64) / 1000.0
    for name, compress, dtype in [("cpsc_like_zlib.mat", True, np.float64),
                                  ("cpsc_like_plain.mat", False, np.float64),
                                  ("cpsc_like_single.mat", False, np.float32)]:
        buf = io.BytesIO()
        scipy.io.savemat(buf, {"ECG": {"sex": "Male", "age": np.array([[56.0]]),
                                       "data": mv.astype(dtype)}},
                         do_compression=compress, format="5")
        put("fuzz_mat_v5", name, buf.getvalue())

    # CSV: heads of the real metadata tables (quoted fields with commas and dicts).
    for rel, n in [("ptb-xl/ptbxl_database.csv", 4), ("ptb-xl/scp_statements.csv", 4),
                   ("ludb/ludb.csv", 4)]:
        lines = read(rel).split(b"\n")
        put("fuzz_csv", os.path.basename(rel), b"\n".join(lines[:n]) + b"\n")
    put("fuzz_csv", "quoted_newline.csv", 'id,report\n1,"a, b\n""c"""\r\n2,\n')

    # safetensors: hand-made small files in the layout write_safetensors produces.
    def st(tensors, meta=None):
        header, blobs, off = {}, [], 0
        if meta:
            header["__metadata__"] = meta
        for name, (dtype, shape, raw) in sorted(tensors.items()):
            header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(raw)]}
            blobs.append(raw)
            off += len(raw)
        h = json.dumps(header, separators=(",", ":")).encode()
        h += b" " * ((8 - len(h) % 8) % 8)
        return struct.pack("<Q", len(h)) + h + b"".join(blobs)
    put("fuzz_safetensors", "two_tensors.safetensors",
        st({"w": ("F32", [2, 2], np.arange(4, dtype="<f4").tobytes()),
            "ids": ("I64", [3], np.arange(3, dtype="<i8").tobytes())}, {"format": "pt"}))
    put("fuzz_safetensors", "scalar_bf16_empty.safetensors",
        st({"s": ("BF16", [], b"\x80\x3f"), "e": ("U8", [0, 4], b"")}))

    # Tokenizer: real reports (German / English / Swedish PTB-XL, LUDB) and Unicode edge cases.
    rows = read("ptb-xl/ptbxl_database.csv").decode("utf-8").split("\n")[1:40]
    for i, r in enumerate([rows[0], rows[5], rows[17], rows[33]]):
        put("fuzz_tokenizer", "ptbxl_row_%d.txt" % i, r)
    put("fuzz_tokenizer", "unicode.txt",
        "Naïve CAFÉ unbestÄtigter bericht 中文 [CLS] x[MASK]y \u0301\u200b\t\x07 " + "a" * 120)

    # Shard store: a valid 2-record, 2-lead, 4-sample store (layout: shard_store_format.h).
    store = {"format": "cgdmer-shard-store", "version": 1, "dataset": "folder", "n_records": 2,
             "n_leads": 2, "n_samples": 4, "fs": 500.0, "dtype": "int16", "scale": 32767,
             "preprocessing_hash": "pp1:test", "lead_names": ["I", "II"],
             "label_sets": {"super": ["NORM", "MI"]}, "max_text_len": 8,
             "signals_bytes": 4096 + 2 * 16}
    meta = "\n".join(json.dumps(m) for m in [
        {"id": "r1", "path": "a/r1.hea", "fold": 3, "report": "sinus rhythm",
         "tokens": [2, 100, 3], "labels": {"super": [0]}},
        {"id": "r2", "path": "a/r2.hea", "fold": -1, "report": "", "tokens": [2, 3],
         "labels": {"super": [0, 1]}}]) + "\n"
    hdr = (b"CGDMSIG\0" + struct.pack("<IIIIdQQf", 1, 1, 2, 4, 500.0, 2, 16, 32767.0) +
           b"pp1:test".ljust(64, b"\0"))
    recs = np.array([0, 100, 32767, 5] * 4, dtype="<i2").tobytes()
    put("fuzz_shard_store", "valid_2x2x4",
        json.dumps(store).encode() + SEP + meta.encode() + SEP + hdr + SEP + recs)
    # The same store in format 2 (the one written now): settings text + its FNV-1a-64. The
    # version-1 seed above stays, for the legacy read path.
    settings = "pp1:test"
    digest = 14695981039346656037
    for c in settings.encode():
        digest = ((digest ^ c) * 1099511628211) % 2**64
    store2 = dict(store, version=2, preprocessing_settings=settings,
                  preprocessing_hash="%016x" % digest)
    hdr2 = (b"CGDMSIG\0" + struct.pack("<IIIIdQQf", 2, 1, 2, 4, 500.0, 2, 16, 32767.0) +
            ("%016x" % digest).encode().ljust(64, b"\0"))
    put("fuzz_shard_store", "valid_v2_2x2x4",
        json.dumps(store2).encode() + SEP + meta.encode() + SEP + hdr2 + SEP + recs)


if __name__ == "__main__":
    main()
