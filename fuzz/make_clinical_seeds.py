#!/usr/bin/python3
"""Seeds for the clinical-format fuzz targets (fuzz_muse_xml, fuzz_hl7_aecg, fuzz_edf,
fuzz_csv_record, fuzz_dicom_ecg, fuzz_philips_xml, fuzz_xli, fuzz_scp_ecg), cut from the real files in ../shared/data/clinical_formats/ (standard library
only, so it runs without the numpy/scipy that fuzz/make_seeds.py needs).

Run from the repository root:  /usr/bin/python3 fuzz/make_clinical_seeds.py
Each seed is a valid, small (< 4 KB) file of its format: a few leads, 16 samples, with counts and
CRCs recomputed so the seed reads cleanly and the fuzzer mutates from a valid input.
"""
import base64
import os
import struct
import xml.etree.ElementTree as ET
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data", "clinical_formats")
OUT = os.path.join(ROOT, "fuzz", "corpus")
N = 16


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
    assert len(data) < 4096, (name, len(data))


def muse_seed(rel, keep_leads):
    root = ET.parse(os.path.join(DATA, rel)).getroot()
    for child in list(root):
        if child.tag not in ("MuseInfo", "PatientDemographics", "Waveform"):
            root.remove(child)
    for w in root.findall("Waveform"):
        if w.findtext("WaveformType") != "Rhythm":
            root.remove(w)
            continue
        for ld in w.findall("LeadData"):
            if ld.findtext("LeadID") not in keep_leads:
                w.remove(ld)
                continue
            b = base64.b64decode(ld.findtext("WaveFormData"))[: 2 * N]
            ld.find("WaveFormData").text = base64.b64encode(b).decode()
            ld.find("LeadByteCountTotal").text = str(len(b))
            ld.find("LeadSampleCountTotal").text = str(N)
            ld.find("LeadDataCRC32").text = str(zlib.crc32(b))
        w.find("NumberofLeads").text = str(len(w.findall("LeadData")))
    return b'<?xml version="1.0" encoding="ISO-8859-1"?>\n' + ET.tostring(root, encoding="ISO-8859-1").split(b"\n", 1)[1]


def hl7_seed(rel, keep_leads):
    ns = "urn:hl7-org:v3"
    ET.register_namespace("", ns)
    ET.register_namespace("xsi", "http://www.w3.org/2001/XMLSchema-instance")
    q = lambda t: "{%s}%s" % (ns, t)
    root = ET.parse(os.path.join(DATA, rel)).getroot()
    for child in list(root):
        if child.tag != q("component"):
            root.remove(child)
    for comp in root.findall(q("component")):
        series = comp.find(q("series"))
        if series is None or series.find(q("code")).get("code") != "RHYTHM":
            root.remove(comp)
            continue
        for child in list(series):
            if child.tag not in (q("code"), q("component")):
                series.remove(child)
        for sc in series.findall(q("component")):
            sset = sc.find(q("sequenceSet"))
            for c in list(sset):
                code = c.find(q("sequence")).find(q("code")).get("code")
                if code.startswith("MDC_ECG_LEAD_") and code[13:] not in keep_leads:
                    sset.remove(c)
                    continue
                d = c.find(q("sequence")).find(q("value")).find(q("digits"))
                if d is not None:
                    d.text = " ".join(d.text.split()[:N])
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def edf_seed(rel, n_records):
    b = open(os.path.join(DATA, rel), "rb").read()
    ns = int(b[252:256])
    rec_bytes = 2 * ns  # this file: 1 sample per signal per record
    head = b[:236] + str(n_records).ljust(8).encode() + b[244:256 * (ns + 1)]
    return head + b[256 * (ns + 1): 256 * (ns + 1) + n_records * rec_bytes]


def dicom_seed(leads, units=None):
    """A minimal DICOM 12-lead ECG waveform object (explicit VR little endian), written by hand
    from the DICOM standard's element layout, holding `leads` = [(code meaning, [counts])] at
    500 Hz, 2.5 uV per count (the HL7 example's digits, which Example.dcm holds too)."""
    def el(group, elem, vr, value):
        if isinstance(value, str):
            value = value.encode("ascii")
            if len(value) % 2:
                value += b"\0" if vr == "UI" else b" "
        head = struct.pack("<HH", group, elem) + vr.encode()
        if vr in ("OB", "OW", "SQ", "UN", "UT"):
            return head + b"\0\0" + struct.pack("<I", len(value)) + value
        return head + struct.pack("<H", len(value)) + value

    def item(body):
        return struct.pack("<HHI", 0xFFFE, 0xE000, len(body)) + body

    def seq(group, elem, items):
        return el(group, elem, "SQ", b"".join(item(i) for i in items))

    channels = []
    units = units or ["uV"] * len(leads)
    for (meaning, _), unit in zip(leads, units):
        channels.append(
            seq(0x003A, 0x0208, [el(0x0008, 0x0100, "SH", "5.6.3-9-1") + el(0x0008, 0x0102, "SH", "SCPECG") +
                                 el(0x0008, 0x0104, "LO", meaning)]) +
            el(0x003A, 0x0210, "DS", "2.5") +
            seq(0x003A, 0x0211, [el(0x0008, 0x0100, "SH", unit) + el(0x0008, 0x0102, "SH", "UCUM")]) +
            el(0x003A, 0x0212, "DS", "1") + el(0x003A, 0x0213, "DS", "0"))
    n = len(leads[0][1])
    data = b"".join(struct.pack("<%dh" % len(leads), *[l[1][t] for l in leads]) for t in range(n))
    group = (el(0x003A, 0x0004, "CS", "ORIGINAL") + el(0x003A, 0x0005, "US", struct.pack("<H", len(leads))) +
             el(0x003A, 0x0010, "UL", struct.pack("<I", n)) + el(0x003A, 0x001A, "DS", "500") +
             seq(0x003A, 0x0200, channels) + el(0x5400, 0x1004, "US", struct.pack("<H", 16)) +
             el(0x5400, 0x1006, "CS", "SS") + el(0x5400, 0x1010, "OW", data))
    sop = "1.2.840.10008.5.1.4.1.1.9.1.1"
    meta = (el(0x0002, 0x0001, "OB", b"\0\1") + el(0x0002, 0x0002, "UI", sop) +
            el(0x0002, 0x0003, "UI", "1.2.3.4") + el(0x0002, 0x0010, "UI", "1.2.840.10008.1.2.1"))
    meta = el(0x0002, 0x0000, "UL", struct.pack("<I", len(meta))) + meta
    body = el(0x0008, 0x0016, "UI", sop) + el(0x0008, 0x0060, "CS", "ECG") + seq(0x5400, 0x0100, [group])
    return b"\0" * 128 + b"DICM" + meta + body


def xli_encode(leads):
    """XLI payload for int16 leads (inverse of the decoder in src/io/xli_codec.cpp): second-order
    differences, high-byte half then low-byte half, and an LZW stream of literal codes only
    (valid: the decoder's dictionary grows but is never referenced), end code 1023, padding."""
    out = b""
    for v in leads:
        n = len(v)
        first = 2 * v[1] - v[0] - v[2]
        d = [v[0], v[1]] + [2 * v[j] - v[j - 1] - v[j + 1] + 64 for j in range(2, n - 1)] + [0]
        raw = struct.pack(">%dh" % n, *d)
        b = raw[0::2] + raw[1::2]
        bits = "".join(format(c, "010b") for c in list(b) + [1023]) + "0" * 32
        bits += "0" * (-len(bits) % 8)
        chunk = bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))
        out += struct.pack("<ihh", len(chunk), 0, first) + chunk
    return out


def philips_seed(rel, xli_counts=None):
    """The file's structure with every element except the rhythm's metadata dropped, and its
    XLI payload replaced by the first 16 stored values of each lead, re-encoded."""
    root = ET.parse(os.path.join(DATA, rel)).getroot()
    ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
    if ns:
        ET.register_namespace("", ns[1:-1])
    for child in list(root):
        if child.tag.replace(ns, "") not in ("documentinfo", "dataacquisition", "interpretations", "waveforms"):
            root.remove(child)
    da = root.find(ns + "dataacquisition")
    for child in list(da):
        if child.tag.replace(ns, "") != "signalcharacteristics":
            da.remove(child)
    interp = root.find(ns + "interpretations")
    for it in list(interp)[1:]:
        interp.remove(it)
    for child in list(interp.find(ns + "interpretation")):
        if child.tag.replace(ns, "") not in ("severity", "statement"):
            interp.find(ns + "interpretation").remove(child)
    wf = root.find(ns + "waveforms")
    for child in list(wf):
        if child.tag.replace(ns, "") != "parsedwaveforms":
            wf.remove(child)
    pw = wf.find(ns + "parsedwaveforms")
    pw.text = base64.b64encode(xli_encode(xli_counts)).decode()
    pw.set("durationperchannel", str(N * 1000 // int(root.find(f"{ns}dataacquisition/{ns}signalcharacteristics/{ns}samplingrate").text)))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def philips_stored_values(rel, n_leads=12):
    """First N stored (pre-reconstruction) values per lead, decoded with the fixture tool's XLI
    decoder (tools/make_clinical_fixture.py)."""
    import sys
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import make_clinical_fixture as fx
    root = ET.parse(os.path.join(DATA, rel)).getroot()
    ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
    pw = root.find(f"{ns}waveforms/{ns}parsedwaveforms")
    return [lead[:N] for lead in fx.xli(base64.b64decode(pw.text), n_leads)]


def crc_ccitt(data):
    crc = 0xFFFF
    for c in data:
        crc ^= c << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def scp_seed(lead_ids, counts, avm_nv, interval_us, huffman):
    """A minimal SCP-ECG record (sections 0, 2 when Huffman, 3, 6; CRCs computed): `counts` per
    lead, stored raw int16 or as second differences in the standard's default Huffman table."""
    def section(sid, body):
        head = struct.pack("<HIBB", sid, 16 + len(body), 20, 20) + b"SCPECG"
        raw = head + body
        return struct.pack("<H", crc_ccitt(raw)) + raw

    def huff(v):
        d = [v[0], v[1]] + [v[i] - 2 * v[i - 1] + v[i - 2] for i in range(2, len(v))]
        bits = ""
        for x in d:
            if x == 0:
                bits += "0"
            elif -8 <= x <= 8:
                bits += "1" * abs(x) + "0" + ("1" if x < 0 else "0")
            elif -128 <= x <= 127:
                bits += "1111111110" + format(x & 0xFF, "08b")
            else:
                bits += "1111111111" + format(x & 0xFFFF, "016b")
        bits += "0" * (-len(bits) % 8)
        return bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))

    n = len(counts[0])
    s3 = struct.pack("<BB", len(lead_ids), 0x04 | (len(lead_ids) << 3 & 0xF8))
    s3 += b"".join(struct.pack("<IIB", 1, n, i) for i in lead_ids)
    data = [huff(v) if huffman else struct.pack("<%dh" % n, *v) for v in counts]
    s6 = struct.pack("<HHBB", avm_nv, interval_us, 2 if huffman else 0, 0)
    s6 += b"".join(struct.pack("<H", len(d)) for d in data) + b"".join(data)
    bodies = [(3, s3), (6, s6)]
    if huffman:
        bodies.insert(0, (2, struct.pack("<H", 19999)))
    secs = [(sid, section(sid, body)) for sid, body in bodies]
    s0_len = 16 + 10 * 12
    index, ptrs = 6 + s0_len + 1, struct.pack("<HII", 0, s0_len, 7)
    placed = dict()
    for sid, raw in secs:
        placed[sid] = (len(raw), index)
        index += len(raw)
    for sid in range(1, 12):
        length, idx = placed.get(sid, (0, 0))
        ptrs += struct.pack("<HII", sid, length, idx)
    record = section(0, ptrs) + b"".join(raw for _, raw in secs)
    body = struct.pack("<I", 6 + len(record)) + record
    return struct.pack("<H", crc_ccitt(body)) + body


def main():
    put("fuzz_muse_xml", "muse_sinus_3leads.xml", muse_seed("muse_xml/muse-sinus.xml", {"I", "II", "V1"}))
    put("fuzz_muse_xml", "example1_2leads.xml", muse_seed("muse_xml/example1.xml", {"I", "II"}))
    put("fuzz_hl7_aecg", "example_3leads.xml", hl7_seed("hl7_aecg/Example aECG.xml", {"I", "II", "AVR"}))
    put("fuzz_hl7_aecg", "philips_converted_2leads.xml",
        hl7_seed("hl7_aecg/ad4d3d80-d165_1-04_converted.xml", {"I", "V3"}))
    ns = {"h": "urn:hl7-org:v3"}
    hl7 = ET.parse(os.path.join(DATA, "hl7_aecg/Example aECG.xml")).getroot()
    digits = {}
    for seq in hl7.iter("{urn:hl7-org:v3}sequence"):
        code = seq.find("h:code", ns).get("code")
        d = seq.find("h:value/h:digits", ns)
        if d is not None and code not in digits:
            digits[code] = [int(v) for v in d.text.split()[:N]]
    put("fuzz_dicom_ecg", "hl7_example_2leads.dcm",
        dicom_seed([("Lead I (Einthoven)", digits["MDC_ECG_LEAD_I"]), ("Lead II", digits["MDC_ECG_LEAD_II"])]))
    # A hemodynamic-style group: an ECG lead and two pressure channels of one source (mm[Hg]).
    put("fuzz_dicom_ecg", "ecg_and_two_pressures.dcm",
        dicom_seed([("Lead II", digits["MDC_ECG_LEAD_II"]), ("Pressure", list(range(16))),
                    ("Pressure", list(range(100, 116)))], ["uV", "mm[Hg]", "mm[Hg]"]))
    for rel, name in [("philips_xml/129DYPRG.XML", "sierra_103_12leads.xml"),
                      ("philips_xml/deid_3.xml", "philips_104_12leads.xml")]:
        put("fuzz_philips_xml", name, philips_seed(rel, philips_stored_values(rel)))
    put("fuzz_xli", "ad4d3d80_12leads.xli",
        xli_encode(philips_stored_values("philips_xml/ad4d3d80-d165_1-04_orig.xml")))
    order = ["MDC_ECG_LEAD_I", "MDC_ECG_LEAD_II", "MDC_ECG_LEAD_V1", "MDC_ECG_LEAD_AVR"]
    put("fuzz_scp_ecg", "hl7_example_huffman.scp",
        scp_seed([1, 2, 3, 62], [digits[c] for c in order], 2500, 2000, True))
    rows = [r.split(",") for r in open(os.path.join(DATA, "edf/reference/0000050.ECG.csv")).read().splitlines()[:N]]
    put("fuzz_scp_ecg", "contec_raw.scp",
        scp_seed([1, 2, 61], [[int(r[c]) for r in rows] for c in range(3)], 5000, 1250, False))
    put("fuzz_edf", "contec_8records.edf", edf_seed("edf/0000050.ECG.edf", 8))
    rows = open(os.path.join(DATA, "edf/reference/0000050.ECG.csv")).read().splitlines()[:N]
    put("fuzz_csv_record", "contec_limb_uv.csv",
        ("I,II,III,aVR,aVL,aVF\n" + "\n".join(",".join(r.split(",")[:6]) for r in rows) + "\n").encode())
    put("fuzz_csv_record", "missing_cells.csv", b'I,"II",v1\n0.1,,3\n-0.2,0.5,\n')


if __name__ == "__main__":
    main()
