#!/usr/bin/python3
"""Seeds for the clinical-format fuzz targets (fuzz_muse_xml, fuzz_hl7_aecg, fuzz_edf,
fuzz_csv_record, fuzz_dicom_ecg), cut from the real files in ../shared/data/clinical_formats/ (standard library
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


def dicom_seed(leads):
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
    for meaning, _ in leads:
        channels.append(
            seq(0x003A, 0x0208, [el(0x0008, 0x0100, "SH", "5.6.3-9-1") + el(0x0008, 0x0102, "SH", "SCPECG") +
                                 el(0x0008, 0x0104, "LO", meaning)]) +
            el(0x003A, 0x0210, "DS", "2.5") +
            seq(0x003A, 0x0211, [el(0x0008, 0x0100, "SH", "uV") + el(0x0008, 0x0102, "SH", "UCUM")]) +
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
    put("fuzz_edf", "contec_8records.edf", edf_seed("edf/0000050.ECG.edf", 8))
    rows = open(os.path.join(DATA, "edf/reference/0000050.ECG.csv")).read().splitlines()[:N]
    put("fuzz_csv_record", "contec_limb_uv.csv",
        ("I,II,III,aVR,aVL,aVF\n" + "\n".join(",".join(r.split(",")[:6]) for r in rows) + "\n").encode())
    put("fuzz_csv_record", "missing_cells.csv", b'I,"II",v1\n0.1,,3\n-0.2,0.5,\n')


if __name__ == "__main__":
    main()
