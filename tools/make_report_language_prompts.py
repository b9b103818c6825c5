#!/usr/bin/env python3
"""Class prompts in the languages of PTB-XL's reports (German, Swedish), ahead of MERL's English CKEPE text.

PTB-XL's reports are ~2/3 German or Swedish (the Schiller/Hannover statement vocabulary), the
rest English; MERL's CKEPE prompts are English only. A text encoder pretrained on PTB-XL reports
from scratch has seen "vorhofflimmern" far more often than "atrial fibrillation", so English-only
prompts test a language it barely learned (docs/experiments.md, "Prompt language").

Each prompt is "<German and Swedish terms>. <CKEPE description>": the report-language terms
come first so that truncation to text.max_len (tiny: 64 tokens) cuts English, not them. The terms
below are the standard German / Swedish ECG statement wording, written from clinical usage (not
fitted to labels); the script only checks that each term occurs somewhere in the given reports
(text, no labels) and warns when one does not, since an unseen term cannot help.

  python3 tools/make_report_language_prompts.py --ckepe assets/prompts/CKEPE_prompt.json \
      --ptbxl ../shared/data/ptb-xl --out assets/prompts/ptbxl_report_language_prompt.json
"""
import argparse
import csv
import json
import os
import sys
import unicodedata

# class → the German / Swedish wording of that statement in clinical use. Checked against the
# report texts with the warning below; wording that occurs in no report was replaced by the
# form the reports use (e.g. "qt-verlängerung", "högersidigt skänkelblock") or dropped.
# Classes: PTB-XL super, form, rhythm, and the conduction group of tools/classify_confusion.py.
TERMS = {
    # super
    "NORM": ["normales ekg", "normalt ekg"],
    "MI": ["infarkt"],
    "STTC": ["st-senkung", "t negativ", "t-förändring"],
    "CD": ["schenkelblock", "av-block", "hemiblock", "skänkelblock"],
    "HYP": ["linkshypertrophie", "kammarhypertrofi"],
    # form
    "PAC": ["supraventrikuläre extrasystole(n)", "supraventrikulära extraslag"],
    "DIG": ["digitalis"],
    "HVOLT": ["amplitudenkriterien"],
    "STD": ["st-senkung", "st-sänkning"],
    "LPR": ["pq-zeit"],
    "QWAVE": ["q-våg"],
    "VCLVH": ["amplitudenkriterien für linkshypertrophie", "amplitudkriterier för vänster kammarhypertrofi"],
    "NDT": ["t-veränderungen", "t-förändring"],
    "TAB": ["t abnormal", "t-förändring"],
    "LOWT": ["t flach", "flacka t"],
    "ABQRS": ["qrs(t) abnormal", "avvikande qrs(t) förlopp"],
    "LNGQT": ["qt-verlängerung"],
    "PRC(S)": ["extrasystole(n)", "extraslag"],
    "NT": ["t-veränderungen", "t-förändring"],
    "STE": ["st-hebung", "st-höjning"],
    "NST": ["unspezifisch", "ospecifik"],
    "PVC": ["ventrikuläre extrasystole(n)", "ventrikulära extraslag"],
    "INVT": ["t negativ"],
    "LVOLT": ["periphere niederspannung"],
    # rhythm
    "SVARR": ["supraventrikuläre arrhythmie"],
    "BIGU": ["bigeminus"],
    "STACH": ["sinustachykardie"],
    "SARRH": ["sinusarrhythmie", "sinus arytmi"],
    "SBRAD": ["sinusbradykardie", "sinusbradykardi"],
    "TRIGU": ["trigeminus"],
    "AFIB": ["vorhofflimmern", "förmaksflimmer"],
    "SR": ["sinusrhythmus", "sinusrytm"],
    "SVTAC": ["supraventrikuläre tachykardie"],
    "PSVT": ["supraventrikuläre tachykardie"],
    "AFLT": ["vorhofflattern", "förmaksfladder"],
    "PACE": ["schrittmacher", "pacemaker"],
    # conduction
    "CLBBB": ["linksschenkelblock", "vänstersidigt skänkelblock"],
    "CRBBB": ["rechtsschenkelblock", "högersidigt skänkelblock"],
    "1AVB": ["av-block i", "a-v block i"],
    "LAFB": ["linksanteriorer hemiblock"],
    "IRBBB": ["unvollständiger rechtsschenkelblock", "inkomplett högersidigt skänkelblock"],
}


def fold(s):
    """Lower case without accents, as the BERT normaliser sees it (PTB-XL writes 'Ä' in lower-case text)."""
    s = unicodedata.normalize("NFD", s.lower())
    return "".join(c for c in s if unicodedata.category(c) != "Mn")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ckepe", required=True)
    ap.add_argument("--ptbxl", help="PTB-XL folder: warn about terms that no report contains")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    with open(a.ckepe) as f:
        ckepe = json.load(f)
    reports = []
    if a.ptbxl:
        with open(os.path.join(a.ptbxl, "ptbxl_database.csv"), newline="") as f:
            reports = [fold(r["report"]) for r in csv.DictReader(f)]
    out = {}
    for key, terms in TERMS.items():
        if key not in ckepe:
            sys.exit("%s: CKEPE has no class %s" % (a.ckepe, key))
        for term in terms:
            if reports and not any(fold(term) in r for r in reports):
                print("warning: %s term %r occurs in no report" % (key, term), file=sys.stderr)
        out[key] = "%s. %s" % (", ".join(terms), ckepe[key])
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("wrote %d prompts to %s" % (len(out), a.out))


if __name__ == "__main__":
    main()
