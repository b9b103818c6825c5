#!/usr/bin/python3
"""Reference fixture for the CG-DMER model (tests/model/test_cgdmer_fixture.cpp).

Builds, in plain torch 1.13.1 (Debian python3-torch), the same small CG-DMER as
src/model (same parameter names, same math): ECG tokenizer (Eq. 1), visible-token encoder,
MAE decoder (L_e.rec, Eq. 2), heads f_sp/f_sh (Eq. 4), L_orth (Eq. 5), L_SigLIP (Eq. 6),
L_cons (Eqs. 7-9). The text side enters as a given [CLS] feature (B, H) with requires_grad
(BERT and the text decoder have their own fixtures). Writes one safetensors file with
  param.<name> / buffer.<name>  weights and fixed tables,
  input.ecg (B, L, S), input.ids_keep (B, L*K) int64, input.text_cls (B, H),
  loss.<term> (unweighted) and loss.total, grad.<name>, grad.input.text_cls.
Run:  /usr/bin/python3 tools/make_model_fixture.py tests/fixtures/model/cgdmer_tiny.safetensors
      /usr/bin/python3 tools/make_model_fixture.py tests/fixtures/model/cgdmer_tiny_post.safetensors post
      /usr/bin/python3 tools/make_model_fixture.py tests/fixtures/model/cgdmer_tiny_stats.safetensors stats
The optional second argument is ecg.tokenizer_norm (default "patch": the same model, weights
and inputs as before the option existed; regenerating it on this machine changes gradients
by <= 4e-6 only, BLAS rounding, so the committed file was kept).
"""
import json
import math
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

# Must match the config built in test_cgdmer_fixture.cpp.
CFG = dict(n_leads=3, n_samples=40, patch_size=10, channels=8, width=32, depth=2, heads=4,
           mlp_ratio=2, dec_width=16, dec_depth=2, dec_heads=2, keep=2, text_width=16,
           head_hidden=12, head_dim=8, batch=4, temperature=0.07,
           lambda_cons=1.0, lambda_e_rec=0.5, lambda_orth=2.0, lambda_siglip=0.25)
KERNELS = [5, 2]  # tokenizer_kernel_layout(10)


def sincos(n, dim):
    omega = torch.arange(dim // 2, dtype=torch.float64) / (dim // 2)
    omega = 1.0 / 10000 ** omega
    out = torch.outer(torch.arange(n, dtype=torch.float64), omega)
    return torch.cat([torch.sin(out), torch.cos(out)], 1).float()


class Attention(nn.Module):
    def __init__(self, w, h):
        super().__init__()
        self.h = h
        self.qkv = nn.Linear(w, 3 * w)
        self.proj = nn.Linear(w, w)

    def forward(self, x):
        b, t, w = x.shape
        qkv = self.qkv(x).reshape(b, t, 3, self.h, w // self.h).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        a = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(w // self.h), -1)
        return self.proj((a @ v).transpose(1, 2).reshape(b, t, w))


class Mlp(nn.Module):
    def __init__(self, w, hidden):
        super().__init__()
        self.fc1 = nn.Linear(w, hidden)
        self.fc2 = nn.Linear(hidden, w)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, w, h, r):
        super().__init__()
        self.norm1 = nn.LayerNorm(w, eps=1e-6)
        self.attn = Attention(w, h)
        self.norm2 = nn.LayerNorm(w, eps=1e-6)
        self.mlp = Mlp(w, w * r)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class Tokenizer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        ch = c["channels"]
        self.convs = nn.ModuleList()
        cin = 1
        for k in KERNELS:
            self.convs.append(nn.Conv1d(cin, ch, k, stride=k, bias=False))
            cin = ch
        self.norm = nn.GroupNorm(ch, ch)
        self.proj = nn.Linear(ch, c["width"])
        self.mode = c.get("tokenizer_norm", "patch")
        if self.mode == "stats":  # created here, so "patch" consumes the RNG exactly as before
            self.stats = nn.Linear(2, c["width"])
        p = c["n_samples"] // c["patch_size"]
        self.lead_embed = nn.Parameter(torch.randn(c["n_leads"], c["width"]) * 0.5)
        self.register_buffer("temporal_embed", sincos(p, c["width"]))

    def forward(self, ecg):
        b, l, s = ecg.shape
        p = s // self.c["patch_size"]
        patches = ecg.reshape(b * l * p, 1, self.c["patch_size"])
        x = patches
        for i, conv in enumerate(self.convs):
            x = conv(x)
            if i == 0 and self.mode != "post":
                x = self.norm(x)  # conv -> GroupNorm -> GELU ("patch", "stats")
            x = F.gelu(x)
            if i == 0 and self.mode == "post":
                x = self.norm(x)  # conv -> GELU -> GroupNorm (the paper's order)
        t = self.proj(x.reshape(b, l, p, -1))
        if self.mode == "stats":  # the patch mean and (population) std, put back
            mean = patches.mean(-1)
            sd = patches.std(-1, unbiased=False)
            t = t + self.stats(torch.cat([10 * (mean - 0.5), 10 * sd], -1).reshape(b, l, p, 2))
        t = t + self.lead_embed[:, None] + self.temporal_embed[None]
        return t.flatten(1, 2)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.blocks = nn.ModuleList([Block(c["width"], c["heads"], c["mlp_ratio"]) for _ in range(c["depth"])])
        self.norm = nn.LayerNorm(c["width"], eps=1e-6)
        self.pool_norm = nn.LayerNorm(c["width"], eps=1e-6)

    def forward(self, x):
        for b in self.blocks:
            x = b(x)
        return self.norm(x)


class Decoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        w = c["dec_width"]
        p = c["n_samples"] // c["patch_size"]
        self.embed = nn.Linear(c["width"], w)
        self.mask_token = nn.Parameter(torch.randn(1, 1, w) * 0.5)
        self.lead_embed = nn.Parameter(torch.randn(c["n_leads"], w) * 0.5)
        self.register_buffer("temporal_embed", sincos(p, w))
        self.blocks = nn.ModuleList([Block(w, c["dec_heads"], c["mlp_ratio"]) for _ in range(c["dec_depth"])])
        self.norm = nn.LayerNorm(w, eps=1e-6)
        self.pred = nn.Linear(w, c["patch_size"])

    def forward(self, enc, ids_keep):
        b, m, _ = enc.shape
        l, p, w = self.c["n_leads"], self.c["n_samples"] // self.c["patch_size"], self.c["dec_width"]
        vis = self.embed(enc)
        full = self.mask_token.expand(b, l * p, w)
        full = full.scatter(1, ids_keep[..., None].expand(b, m, w), vis)
        pos = (self.lead_embed[:, None] + self.temporal_embed[None]).reshape(l * p, w)
        x = full + pos[None]
        for blk in self.blocks:
            x = blk(x)
        return self.pred(self.norm(x)).view(b, l, p, self.c["patch_size"])


class Head(nn.Module):
    def __init__(self, i, h, o):
        super().__init__()
        self.fc1 = nn.Linear(i, h)
        self.fc2 = nn.Linear(h, o)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class CgDmer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.ecg_tokenizer = Tokenizer(c)
        self.ecg_encoder = Encoder(c)
        self.ecg_decoder = Decoder(c)
        self.ecg_sh = Head(c["width"], c["head_hidden"], c["head_dim"])
        self.text_sh = Head(c["text_width"], c["head_hidden"], c["head_dim"])
        self.ecg_sp = Head(c["width"], c["head_hidden"], c["head_dim"])
        self.text_sp = Head(c["text_width"], c["head_hidden"], c["head_dim"])
        # Away from the SigLIP init (log 10, -10) so that the SigLIP gradients are not ~0.
        self.siglip_log_scale = nn.Parameter(torch.tensor(math.log(10.0) - 0.5))
        self.siglip_bias = nn.Parameter(torch.tensor(-1.5))

    def forward(self, ecg, ids_keep, text_cls):
        c = self.c
        b, l, s = ecg.shape
        p = s // c["patch_size"]
        tokens = self.ecg_tokenizer(ecg)
        vis = tokens.gather(1, ids_keep[..., None].expand(-1, -1, tokens.shape[-1]))
        enc = self.ecg_encoder(vis)
        pooled = self.ecg_encoder.pool_norm(enc.mean(1))
        pred = self.ecg_decoder(enc, ids_keep)
        mask = torch.ones(b, l * p).scatter(1, ids_keep, 0.0).view(b, l, p)
        target = ecg.view(b, l, p, c["patch_size"])
        e_rec = (((pred - target) ** 2).mean(-1) * mask).sum() / mask.sum()
        he_sh, ht_sh = self.ecg_sh(pooled), self.text_sh(text_cls)
        orth = (F.cosine_similarity(self.ecg_sp(pooled), he_sh, 1, 1e-8) ** 2).mean() + \
               (F.cosine_similarity(self.text_sp(text_cls), ht_sh, 1, 1e-8) ** 2).mean()
        ze, zt = F.normalize(he_sh, dim=1), F.normalize(ht_sh, dim=1)
        logits = ze @ zt.t() * self.siglip_log_scale.exp() + self.siglip_bias
        labels = 2 * torch.eye(b) - 1
        siglip = -F.logsigmoid(labels * logits).sum() / b
        sim = ze @ zt.t() / c["temperature"]
        tgt = torch.arange(b)
        cons = 0.5 * (F.cross_entropy(sim, tgt) + F.cross_entropy(sim.t(), tgt))
        total = (c["lambda_cons"] * cons + c["lambda_e_rec"] * e_rec + c["lambda_orth"] * orth +
                 c["lambda_siglip"] * siglip)
        return dict(loss_e_rec=e_rec, loss_orth=orth, loss_siglip=siglip, loss_cons=cons), total


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
    c = dict(CFG, tokenizer_norm=sys.argv[2] if len(sys.argv) > 2 else "patch")
    model = CgDmer(c)
    b, l, p = c["batch"], c["n_leads"], c["n_samples"] // c["patch_size"]
    ecg = torch.rand(b, l, c["n_samples"])
    # K visible patches per lead, positions random per lead and sample (lead-major indices).
    keep = torch.rand(b, l, p).argsort(-1)[..., :c["keep"]] + (torch.arange(l) * p)[None, :, None]
    ids_keep = keep.reshape(b, l * c["keep"])
    text_cls = torch.randn(b, c["text_width"], requires_grad=True)
    terms, total = model(ecg, ids_keep, text_cls)
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
