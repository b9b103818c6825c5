#!/usr/bin/python3
"""Reference fixture for the CG-DMER model (tests/model/test_cgdmer_fixture.cpp).

Builds a small CG-DMER from the reference model (tools/cgdmer_reference.py, the module the
bench peer imports too; plain torch 1.13.1, Debian python3-torch; cgdmer's parameter names and
math): ECG tokenizer (Eq. 1), visible-token encoder, MAE decoder (L_e.rec, Eq. 2), heads
f_sp/f_sh (Eq. 4), L_orth (Eq. 5), L_SigLIP (Eq. 6), L_cons (Eqs. 7-9). The text side enters
as a given [CLS] feature (B, H) with requires_grad (BERT and the text decoder have their own
fixtures). Writes one safetensors file with
  param.<name> / buffer.<name>  weights and fixed tables,
  input.ecg (B, L, S), input.ids_keep (B, L*K) int64, input.text_cls (B, H),
  loss.<term> (unweighted) and loss.total, grad.<name>, grad.input.text_cls.
Run:  /usr/bin/python3 tools/make_model_fixture.py tests/fixtures/model/cgdmer_tiny.safetensors
      /usr/bin/python3 tools/make_model_fixture.py tests/fixtures/model/cgdmer_tiny_post.safetensors post
      /usr/bin/python3 tools/make_model_fixture.py tests/fixtures/model/cgdmer_tiny_stats.safetensors stats
The optional second argument is ecg.tokenizer_norm (default "patch"). The stats Linear takes
torch's default init here (cgdmer zero-initialises it; the fixture carries its own weights).
"""
import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cgdmer_reference as ref  # noqa: E402

# Must match the config built in test_cgdmer_fixture.cpp (configs/*.toml layout).
CFG = dict(
    ecg=dict(n_leads=3, n_samples=40, patch_size=10, tokenizer_channels=8, width=32, depth=2, heads=4,
             mlp_ratio=2, decoder_width=16, decoder_depth=2, decoder_heads=2, mask_ratio=0.5,
             tokenizer_norm="patch"),
    text=dict(width=16, vocab_size=0, n_sentinels=0),
    head=dict(hidden=12, dim=8),
    loss=dict(lambda_cons=1.0, lambda_e_rec=0.5, lambda_t_rec=0.0, lambda_orth=2.0, lambda_siglip=0.25,
              temperature=0.07),
)
BATCH = 4


def write_safetensors(path, tensors):
    dt = {torch.float32: "F32", torch.int64: "I64"}
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        raw = t.numpy().tobytes()
        header[name] = {"dtype": dt[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    header["__metadata__"] = {"generator": "tools/make_model_fixture.py", "torch": torch.__version__}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/model/cgdmer_tiny.safetensors"
    torch.manual_seed(1234)
    c = json.loads(json.dumps(CFG))
    c["ecg"]["tokenizer_norm"] = sys.argv[2] if len(sys.argv) > 2 else "patch"
    # Larger embedding inits than cgdmer's 0.02, so lead and mask embeddings move the losses.
    model = ref.CgDmer(c, with_text=False, embed_std=0.5)
    with torch.no_grad():  # away from the SigLIP init (log 10, -10) so its gradients are not ~0
        model.siglip_log_scale.fill_(ref.math.log(10.0) - 0.5)
        model.siglip_bias.fill_(-1.5)
    e = c["ecg"]
    b, l, p, keep = BATCH, e["n_leads"], e["n_samples"] // e["patch_size"], ref.keep_per_lead(e)
    ecg = torch.rand(b, l, e["n_samples"])
    # K visible patches per lead, positions random per lead and sample (lead-major indices).
    ids = torch.rand(b, l, p).argsort(-1)[..., :keep] + (torch.arange(l) * p)[None, :, None]
    ids_keep = ids.reshape(b, l * keep)
    text_cls = torch.randn(b, c["text"]["width"], requires_grad=True)
    terms, total = model(ecg, ids_keep, text_cls=text_cls)
    total.backward()
    t = {}
    for n, v in model.named_parameters():
        t["param." + n] = v
        t["grad." + n] = v.grad
    for n, v in model.named_buffers():
        t["buffer." + n] = v
    t["input.ecg"] = ecg
    t["input.ids_keep"] = ids_keep
    t["input.text_cls"] = text_cls
    t["grad.input.text_cls"] = text_cls.grad
    for k, v in terms.items():
        t["loss." + k] = v
    t["loss.total"] = total
    write_safetensors(out, t)
    print(out, {k: round(float(v), 6) for k, v in terms.items()}, "total", float(total))


if __name__ == "__main__":
    main()
