#!/usr/bin/python3
"""Independent decode of the shared clinical-format ECG files → tests/fixtures/io/clinical/clinical.json

Written with the Python standard library only (xml.etree, base64, struct, zlib), separately
from the C++ readers in src/io/, so tests/io/test_clinical_readers.cpp can compare the two.
The Philips XLI decoder here was written from the format description, separately from
src/io/xli_codec.cpp. For each file: sample rate, lead names, samples per lead, the first 20 samples of each lead and
the per-lead sum and sum of squares, all in millivolts (the C++ readers' unit).

Run from the repository root:  /usr/bin/python3 tools/make_clinical_fixture.py
Input: ../shared/data/clinical_formats/ (see its README.md and PROVENANCE.md files).
"""
import base64
import json
import os
import struct
import xml.etree.ElementTree as ET
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data", "clinical_formats")
OUT = os.path.join(ROOT, "tests", "fixtures", "io", "clinical", "clinical.json")
STD12 = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
CANON = {s.upper(): s for s in STD12}


def summary(fs, names, leads):
    n = len(leads[0])
    assert all(len(l) == n for l in leads)
    return {
        "fs": fs,
        "leads": names,
        "n_samples": n,
        "first20": [[round(v, 9) for v in l[:20]] for l in leads],
        "sum": [sum(l) for l in leads],
        "sumsq": [sum(v * v for v in l) for l in leads],
    }


def muse(path):
    """GE MUSE: Rhythm waveform, base64 <int16; III/aVR/aVL/aVF derived from raw counts of I, II."""
    root = ET.parse(path).getroot()
    rhythm = [w for w in root.findall("Waveform") if w.findtext("WaveformType") == "Rhythm"][0]
    fs = float(rhythm.findtext("SampleBase")) * 10 ** float(rhythm.findtext("SampleExponent") or 0)
    raw, uv = {}, {}
    for ld in rhythm.findall("LeadData"):
        b = base64.b64decode(ld.findtext("WaveFormData"))
        assert zlib.crc32(b) == int(ld.findtext("LeadDataCRC32"))
        n = int(ld.findtext("LeadSampleCountTotal"))
        name = CANON.get(ld.findtext("LeadID").strip().upper(), ld.findtext("LeadID").strip())
        raw[name] = list(struct.unpack("<%dh" % n, b))
        assert ld.findtext("LeadAmplitudeUnits") == "MICROVOLTS"
        uv[name] = float(ld.findtext("LeadAmplitudeUnitsPerBit"))
    i, ii = raw["I"], raw["II"]
    derived = {
        "III": [b - a for a, b in zip(i, ii)],
        "aVR": [-(a + b) / 2 for a, b in zip(i, ii)],
        "aVL": [a - b / 2 for a, b in zip(i, ii)],
        "aVF": [b - a / 2 for a, b in zip(i, ii)],
    }
    names, leads = [], []
    for name in STD12:
        counts = raw.get(name, derived.get(name))
        scale = uv.get(name, uv["I"]) / 1000.0
        names.append(name)
        leads.append([c * scale for c in counts])
    return summary(fs, names, leads)


def hl7(path):
    """HL7 aECG: first RHYTHM series, physical = origin + scale * digit (units uV here)."""
    ns = {"h": "urn:hl7-org:v3"}
    root = ET.parse(path).getroot()
    series = [s for s in root.findall("h:component/h:series", ns)
              if s.find("h:code", ns).get("code") == "RHYTHM"][0]
    sset = series.find("h:component/h:sequenceSet", ns)
    fs, names, leads = None, [], []
    unit_mv = {"uV": 1e-3, "mV": 1.0, "V": 1e3}
    for seq in sset.findall("h:component/h:sequence", ns):
        code = seq.find("h:code", ns).get("code")
        value = seq.find("h:value", ns)
        if code.startswith("TIME_"):
            inc = value.find("h:increment", ns)
            fs = 1.0 / (float(inc.get("value")) * {"s": 1.0, "ms": 1e-3}[inc.get("unit")])
        elif code.startswith("MDC_ECG_LEAD_"):
            o, s = value.find("h:origin", ns), value.find("h:scale", ns)
            origin = float(o.get("value")) * unit_mv[o.get("unit")]
            scale = float(s.get("value")) * unit_mv[s.get("unit")]
            digits = [int(t) for t in value.find("h:digits", ns).text.split()]
            name = code[len("MDC_ECG_LEAD_"):]
            names.append(CANON.get(name.upper(), name))
            leads.append([origin + scale * d for d in digits])
    return summary(fs, names, leads)


def lzw10(chunk):
    """XLI's LZW: 10-bit codes, MSB first, 256 byte literals, codes up to 1022 define strings,
    1023 ends; a code is read only while more than 24 bits can be buffered (writer padding)."""
    out, table, prev = bytearray(), [bytes([i]) for i in range(256)], b""
    acc = nbits = pos = 0
    while True:
        while nbits <= 24:
            if pos >= len(chunk):
                return bytes(out)
            acc = (acc | (chunk[pos] << (24 - nbits))) & 0xFFFFFFFF
            pos += 1
            nbits += 8
        code = acc >> 22
        acc = (acc << 10) & 0xFFFFFFFF
        nbits -= 10
        if code > 1022:
            return bytes(out)
        if code < len(table):
            cur = table[code]
        elif code == len(table) and prev:
            cur = prev + prev[:1]
        else:
            raise ValueError("invalid LZW code")
        if prev and len(table) <= 1022:
            table.append(prev + cur[:1])
        out += cur
        prev = cur


def xli(payload, n_leads):
    """Chunks of <int32 size, 2 unused bytes, int16 first> + LZW; bytes split high half / low
    half into int16; second-order differences undone."""
    leads, off = [], 0
    while off < len(payload) and len(leads) < n_leads:
        size, first = struct.unpack_from("<i2xh", payload, off)
        off += 8
        b = lzw10(payload[off: off + size])
        off += size
        if len(b) % 2:
            b += b"\0"
        n = len(b) // 2
        d = [struct.unpack(">h", bytes([b[i], b[n + i]]))[0] for i in range(n)]
        x, y, last = d[0], d[1], first
        for i in range(2, n):
            z = 2 * y - x - last
            last = d[i] - 64
            d[i] = z
            x, y = y, z
        leads.append(d)
    return leads


def philips(path):
    """Philips SierraECG / PhilipsECG XML: XLI rhythm; III/aVR/aVL/aVF from their residuals."""
    root = ET.parse(path).getroot()
    ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
    sc = root.find(f"{ns}dataacquisition/{ns}signalcharacteristics")
    pw = root.find(f"{ns}waveforms/{ns}parsedwaveforms")
    fs = float(sc.findtext(f"{ns}samplingrate"))
    uv = float(sc.findtext(f"{ns}resolution") or sc.findtext(f"{ns}signalresolution"))
    labels = pw.get("leadlabels", "").split()[: int(pw.get("numberofleads", "0"))] or STD12
    labels = [CANON.get(l.upper(), l) for l in labels]
    assert (pw.get("compressmethod") or pw.get("compression")) == "XLI"
    c = xli(base64.b64decode(pw.text), len(labels))
    for t in range(len(c[0])):
        i, ii = c[0][t], c[1][t]
        c[2][t] = iii = ii - i - c[2][t]
        c[3][t] = -c[3][t] - (i + ii) // 2
        c[4][t] = (i - iii) // 2 - c[4][t]
        c[5][t] = (ii + iii) // 2 - c[5][t]
    return summary(fs, labels, [[v * uv / 1000.0 for v in lead] for lead in c])


def edf(path):
    """EDF: header scaling applied as written; dimension mV (this file)."""
    with open(path, "rb") as f:
        b = f.read()
    ns = int(b[252:256])
    nrec = int(b[236:244])
    dur = float(b[244:252])
    hdr = b[256:256 * (ns + 1)]

    def fld(off, width, i):
        return hdr[off * ns + i * width: off * ns + (i + 1) * width].decode("ascii").strip()

    sig = []
    for i in range(ns):
        sig.append(dict(label=fld(0, 16, i), dim=fld(96, 8, i), pmin=float(fld(104, 8, i)),
                        pmax=float(fld(112, 8, i)), dmin=float(fld(120, 8, i)), dmax=float(fld(128, 8, i)),
                        spr=int(fld(216, 8, i))))
    rec_bytes = sum(2 * s["spr"] for s in sig)
    data = b[256 * (ns + 1):]
    assert len(data) == nrec * rec_bytes
    leads = [[] for _ in range(ns)]
    for r in range(nrec):
        off = r * rec_bytes
        for i, s in enumerate(sig):
            vals = struct.unpack_from("<%dh" % s["spr"], data, off)
            off += 2 * s["spr"]
            g = (s["pmax"] - s["pmin"]) / (s["dmax"] - s["dmin"])
            assert s["dim"] == "mV"
            leads[i].extend(s["pmin"] + (v - s["dmin"]) * g for v in vals)
    names = [CANON.get(s["label"].upper(), s["label"]) for s in sig]
    return summary(sig[0]["spr"] / dur, names, leads)


def main():
    files = {
        "muse_xml/example1.xml": muse,
        "muse_xml/example3.xml": muse,
        "muse_xml/muse-sinus.xml": muse,
        "hl7_aecg/Example aECG.xml": hl7,
        "hl7_aecg/ad4d3d80-d165_1-04_converted.xml": hl7,
        "edf/0000050.ECG.edf": edf,
        "philips_xml/129DYPRG.XML": philips,
        "philips_xml/129ECORG.XML": philips,
        "philips_xml/3191723_ZZDEMOPTONLY_1-04_orig.xml": philips,
        "philips_xml/ad4d3d80-d165_1-04_orig.xml": philips,
        "philips_xml/deid_3.xml": philips,
    }
    out = {"unit": "mV", "generator": "tools/make_clinical_fixture.py", "files": {}}
    for rel, fn in files.items():
        out["files"][rel] = fn(os.path.join(DATA, rel))
        r = out["files"][rel]
        print(f"{rel}: fs={r['fs']} leads={len(r['leads'])} n={r['n_samples']}")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
