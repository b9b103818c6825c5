#!/usr/bin/python3
"""bench/peer_step.py: the CG-DMER training step in plain PyTorch eager, as the peers write it.

The Python peer of bench_train_step (same model, same synthetic inputs, same harness, same
FLOP formula). Run with Debian's python3 (torch 1.13.1), e.g.
  OMP_WAIT_POLICY=passive /usr/bin/python3 bench/peer_step.py --config configs/tiny.toml --precision both

How the peers write it (MERL, ST-MEM, C-MELT; read in shared/reference/peers.md):
  - ECG ViT blocks as timm/ST-MEM: fused qkv Linear, hand attention (q @ kᵀ → softmax → @ v);
  - text encoder as HF BertModel (separate query/key/value Linears, hand attention with an
    additive mask, post-LN), written out here because `transformers` is not installed;
  - the sentinel text decoder with hand attention (separate q/k/v), pre-LN;
  - fp32 "as shipped" on CPU, bf16 via torch.autocast('cpu', dtype=torch.bfloat16);
  - AdamW (torch.optim, two groups, the default per-tensor loop), clip_grad_norm_(1.0).
Config values are read from the TOML (tomllib is 3.11+, Debian's python is 3.11) after the
same defaults as src/config/config.h (configs/paper.toml is the full list).
Prints a human line and "RESULT {json}" lines, like bench_train_step.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

try:
    import tomllib
except ImportError:  # pragma: no cover
    tomllib = None

HERE = os.path.dirname(os.path.abspath(__file__))


def load_config(path, overrides):
    with open(os.path.join(HERE, "..", "configs", "paper.toml"), "rb") as f:
        cfg = tomllib.load(f)
    if path not in ("paper",):
        p = path if os.path.exists(path) else os.path.join(HERE, "..", "configs", path + ".toml")
        with open(p, "rb") as f:
            for sec, vals in tomllib.load(f).items():
                if isinstance(vals, dict):
                    cfg.setdefault(sec, {}).update(vals)
                else:
                    cfg[sec] = vals
    for o in overrides:
        lhs, v = o.split("=", 1)
        sec, key = lhs.split(".", 1)
        old = cfg[sec][key]
        cfg[sec][key] = type(old)(float(v)) if isinstance(old, (int, float)) and not isinstance(old, bool) else v
    return cfg


def kernel_layout(patch):  # = tokenizer_kernel_layout (src/model/ecg_tokenizer.cpp)
    f, n, p = [], patch, 2
    while p * p <= n:
        while n % p == 0:
            f.append(p)
            n //= p
        p += 1
    if n > 1:
        f.append(n)
    if not f:
        f = [1]
    f.sort()
    while len(f) > 4:
        f[1] *= f[0]
        f.pop(0)
        f.sort()
    return f[::-1]


def sincos(n, dim):
    omega = 1.0 / 10000 ** (torch.arange(dim // 2, dtype=torch.float64) / (dim // 2))
    out = torch.outer(torch.arange(n, dtype=torch.float64), omega)
    return torch.cat([torch.sin(out), torch.cos(out)], 1).float()


# ---------------------------------------------------------------- ECG side (timm / ST-MEM style)
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
        a = torch.softmax(q @ k.transpose(-2, -1) * (1.0 / math.sqrt(w // self.h)), -1)
        return self.proj((a @ v).transpose(1, 2).reshape(b, t, w))


class Block(nn.Module):
    def __init__(self, w, h, r):
        super().__init__()
        self.norm1 = nn.LayerNorm(w, eps=1e-6)
        self.attn = Attention(w, h)
        self.norm2 = nn.LayerNorm(w, eps=1e-6)
        self.fc1 = nn.Linear(w, w * r)
        self.fc2 = nn.Linear(w * r, w)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class Tokenizer(nn.Module):
    def __init__(self, e):
        super().__init__()
        self.e = e
        ch = e["tokenizer_channels"]
        ks = kernel_layout(e["patch_size"])
        self.convs = nn.ModuleList()
        cin = 1
        for k in ks:
            self.convs.append(nn.Conv1d(cin, ch, k, stride=k, bias=False))
            cin = ch
        self.use_norm = e["patch_size"] // ks[0] > 1
        self.norm = nn.GroupNorm(ch, ch) if self.use_norm else None
        self.proj = nn.Linear(ch, e["width"])
        p = e["n_samples"] // e["patch_size"]
        self.lead_embed = nn.Parameter(torch.randn(e["n_leads"], e["width"]) * 0.02)
        self.register_buffer("temporal_embed", sincos(p, e["width"]))

    fp32_convs = False  # --fp32-tokenizer: the convs outside autocast, as ours (ecg_tokenizer.cpp)

    def forward(self, ecg):
        with torch.autocast("cpu", enabled=not self.fp32_convs and torch.is_autocast_cpu_enabled(),
                            dtype=torch.bfloat16):
            return self._forward(ecg)

    def _forward(self, ecg):
        b, l, s = ecg.shape
        p = s // self.e["patch_size"]
        x = ecg.reshape(b * l * p, 1, self.e["patch_size"])
        for i, conv in enumerate(self.convs):
            x = conv(x)
            if i == 0 and self.use_norm:
                x = self.norm(x.float())  # fairseq/C-MELT Fp32GroupNorm: bf16 input, fp32 norm
            x = F.gelu(x)
        t = self.proj(x.reshape(b, l, p, -1))
        t = t + self.lead_embed[:, None] + self.temporal_embed[None]
        return t.flatten(1, 2)


class Encoder(nn.Module):
    def __init__(self, e):
        super().__init__()
        self.blocks = nn.ModuleList([Block(e["width"], e["heads"], e["mlp_ratio"]) for _ in range(e["depth"])])
        self.norm = nn.LayerNorm(e["width"], eps=1e-6)
        self.pool_norm = nn.LayerNorm(e["width"], eps=1e-6)

    def forward(self, x):
        for b in self.blocks:
            x = b(x)
        return self.norm(x)

    def pool(self, x):
        return self.pool_norm(x.mean(1))


class Decoder(nn.Module):
    def __init__(self, e):
        super().__init__()
        self.e = e
        w = e["decoder_width"]
        p = e["n_samples"] // e["patch_size"]
        self.embed = nn.Linear(e["width"], w)
        self.mask_token = nn.Parameter(torch.randn(1, 1, w) * 0.02)
        self.lead_embed = nn.Parameter(torch.randn(e["n_leads"], w) * 0.02)
        self.register_buffer("temporal_embed", sincos(p, w))
        self.blocks = nn.ModuleList([Block(w, e["decoder_heads"], e["mlp_ratio"]) for _ in range(e["decoder_depth"])])
        self.norm = nn.LayerNorm(w, eps=1e-6)
        self.pred = nn.Linear(w, e["patch_size"])

    def forward(self, enc, ids_keep):
        b, m, _ = enc.shape
        l, p, w = self.e["n_leads"], self.e["n_samples"] // self.e["patch_size"], self.e["decoder_width"]
        vis = self.embed(enc)
        full = self.mask_token.to(vis.dtype).expand(b, l * p, w)
        full = full.scatter(1, ids_keep[..., None].expand(b, m, w), vis)
        pos = (self.lead_embed[:, None] + self.temporal_embed[None]).reshape(l * p, w)
        x = full + pos[None]
        for blk in self.blocks:
            x = blk(x)
        return self.pred(self.norm(x)).view(b, l, p, self.e["patch_size"])


# ---------------------------------------------------------------- text side (HF BertModel layout)
class BertLayer(nn.Module):
    def __init__(self, h, heads, inter, p):
        super().__init__()
        self.heads, self.p = heads, p
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.attn_out = nn.Linear(h, h)
        self.ln1 = nn.LayerNorm(h, eps=1e-12)
        self.inter = nn.Linear(h, inter)
        self.out = nn.Linear(inter, h)
        self.ln2 = nn.LayerNorm(h, eps=1e-12)
        self.drop = nn.Dropout(p)

    def forward(self, x, add_mask):
        b, t, h = x.shape
        d = h // self.heads
        split = lambda y: y.view(b, t, self.heads, d).transpose(1, 2)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        s = q @ k.transpose(-1, -2) / math.sqrt(d) + add_mask
        a = self.drop(torch.softmax(s, -1))
        o = (a @ v).transpose(1, 2).reshape(b, t, h)
        x = self.ln1(self.drop(self.attn_out(o)) + x)
        return self.ln2(self.drop(self.out(F.gelu(self.inter(x)))) + x)


class Bert(nn.Module):
    def __init__(self, t, vocab_rows):
        super().__init__()
        h = t["width"]
        self.word = nn.Embedding(vocab_rows, h)
        self.pos = nn.Embedding(t["max_position"], h)
        self.token_type = nn.Embedding(2, h)
        self.ln = nn.LayerNorm(h, eps=1e-12)
        self.drop = nn.Dropout(t["dropout"])
        self.layers = nn.ModuleList([BertLayer(h, t["heads"], t["intermediate"], t["dropout"]) for _ in range(t["depth"])])
        self.pooler = nn.Linear(h, h)  # HF BertModel has it (unused by CG-DMER's forward)

    def forward(self, ids, mask):
        t = ids.shape[1]
        x = self.drop(self.ln(self.word(ids) + self.pos.weight[:t] + self.token_type.weight[0]))
        add = (1.0 - mask[:, None, None, :].float()) * -1e9  # HF's extended attention mask
        for layer in self.layers:
            x = layer(x, add)
        return x


class DecAttention(nn.Module):
    def __init__(self, w, h, p):
        super().__init__()
        self.h, self.p = h, p
        self.query, self.key, self.value, self.out = (nn.Linear(w, w) for _ in range(4))
        self.drop = nn.Dropout(p)

    def forward(self, xq, xkv, add_mask):
        b, u, w = xq.shape
        t, d = xkv.shape[1], w // self.h
        q = self.query(xq).view(b, u, self.h, d).transpose(1, 2)
        k = self.key(xkv).view(b, t, self.h, d).transpose(1, 2)
        v = self.value(xkv).view(b, t, self.h, d).transpose(1, 2)
        a = self.drop(torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d) + add_mask, -1))
        return self.out((a @ v).transpose(1, 2).reshape(b, u, w))


class DecLayer(nn.Module):
    def __init__(self, w, h, p):
        super().__init__()
        self.ln1, self.ln2, self.ln3 = nn.LayerNorm(w), nn.LayerNorm(w), nn.LayerNorm(w)
        self.self_attn, self.cross_attn = DecAttention(w, h, p), DecAttention(w, h, p)
        self.fc1, self.fc2 = nn.Linear(w, 4 * w), nn.Linear(4 * w, w)
        self.drop = nn.Dropout(p)

    def forward(self, x, mem, causal, mem_mask):
        h = self.ln1(x)
        x = x + self.drop(self.self_attn(h, h, causal))
        x = x + self.drop(self.cross_attn(self.ln2(x), mem, mem_mask))
        return x + self.drop(self.fc2(F.gelu(self.fc1(self.ln3(x)))))


class TextDecoder(nn.Module):
    def __init__(self, t, vocab_rows):
        super().__init__()
        w = t["decoder_width"]
        self.tok = nn.Embedding(vocab_rows, w)
        self.pos = nn.Parameter(torch.zeros(t["decoder_max_len"], w))
        self.memory_proj = nn.Linear(t["width"], w)
        self.layers = nn.ModuleList([DecLayer(w, t["decoder_heads"], t["dropout"]) for _ in range(t["decoder_depth"])])
        self.ln_f = nn.LayerNorm(w)
        self.head = nn.Linear(w, vocab_rows)
        self.drop = nn.Dropout(t["dropout"])

    def forward(self, dec_in, memory, mem_mask):
        u = dec_in.shape[1]
        x = self.drop(self.tok(dec_in) + self.pos[:u])
        mem = self.memory_proj(memory)
        causal = torch.full((u, u), float("-inf")).triu(1)
        add = (1.0 - mem_mask[:, None, None, :].float()) * -1e9
        for layer in self.layers:
            x = layer(x, mem, causal, add)
        return self.head(self.ln_f(x)).float()


class Head(nn.Module):
    def __init__(self, i, h, o):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(i, h), nn.Linear(h, o)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class CgDmer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        e, t, hd, ls = cfg["ecg"], cfg["text"], cfg["head"], cfg["loss"]
        self.cfg = cfg
        self.has = dict(e_rec=ls["lambda_e_rec"] > 0, t_rec=ls["lambda_t_rec"] > 0, orth=ls["lambda_orth"] > 0,
                        siglip=ls["lambda_siglip"] > 0, cons=ls["lambda_cons"] > 0)
        self.vocab_rows = t["vocab_size"] + (t["n_sentinels"] + 1 if self.has["t_rec"] else 0)
        self.ecg_tokenizer = Tokenizer(e)
        self.ecg_encoder = Encoder(e)
        self.ecg_decoder = Decoder(e) if self.has["e_rec"] else None
        self.text_encoder = Bert(t, self.vocab_rows)
        self.text_decoder = TextDecoder(t, self.vocab_rows) if self.has["t_rec"] else None
        self.ecg_sh = Head(e["width"], hd["hidden"], hd["dim"])
        self.text_sh = Head(t["width"], hd["hidden"], hd["dim"])
        if self.has["orth"]:
            self.ecg_sp = Head(e["width"], hd["hidden"], hd["dim"])
            self.text_sp = Head(t["width"], hd["hidden"], hd["dim"])
        if self.has["siglip"]:
            self.siglip_log_scale = nn.Parameter(torch.tensor(math.log(10.0)))
            self.siglip_bias = nn.Parameter(torch.tensor(-10.0))

    def forward(self, ecg, text_ids, text_mask, dec_in, dec_tgt):
        e, ls = self.cfg["ecg"], self.cfg["loss"]
        b, l, s = ecg.shape
        p = s // e["patch_size"]
        keep = keep_per_lead(e)
        tokens = self.ecg_tokenizer(ecg)
        # ST-MEM per-lead random masking: shuffle patches of each lead, keep the first K.
        noise = torch.rand(b, l, p)
        ids_shuffle = noise.argsort(-1)
        ids_restore = ids_shuffle.argsort(-1)
        ids_keep = (ids_shuffle[..., :keep] + (torch.arange(l) * p)[None, :, None]).reshape(b, l * keep)
        mask = (ids_restore >= keep).float()
        vis = tokens.gather(1, ids_keep[..., None].expand(-1, -1, tokens.shape[-1]))
        enc = self.ecg_encoder(vis)
        pooled = self.ecg_encoder.pool(enc)
        hidden = self.text_encoder(text_ids, text_mask)
        text_cls = hidden[:, 0]
        logits = self.text_decoder(dec_in, hidden, text_mask) if self.text_decoder is not None else None
        pred = self.ecg_decoder(enc, ids_keep) if self.ecg_decoder is not None else None
        he_sh, ht_sh = self.ecg_sh(pooled), self.text_sh(text_cls)
        with torch.autocast("cpu", enabled=False):  # losses in fp32
            total = torch.zeros(())
            if pred is not None:
                target = ecg.view(b, l, p, e["patch_size"])
                e_rec = (((pred.float() - target) ** 2).mean(-1) * mask).sum() / mask.sum()
                total = total + ls["lambda_e_rec"] * e_rec
            if logits is not None:
                total = total + ls["lambda_t_rec"] * F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(),
                                                                      dec_tgt.reshape(-1), ignore_index=-100)
            if self.has["orth"]:
                orth = (F.cosine_similarity(self.ecg_sp(pooled).float(), he_sh.float(), 1, 1e-8) ** 2).mean() + \
                       (F.cosine_similarity(self.text_sp(text_cls).float(), ht_sh.float(), 1, 1e-8) ** 2).mean()
                total = total + ls["lambda_orth"] * orth
            ze, zt = F.normalize(he_sh.float(), dim=1), F.normalize(ht_sh.float(), dim=1)
            if self.has["siglip"]:
                lg = ze @ zt.t() * self.siglip_log_scale.exp() + self.siglip_bias
                labels = 2 * torch.eye(b) - 1
                total = total + ls["lambda_siglip"] * (-F.logsigmoid(labels * lg).sum() / b)
            if self.has["cons"]:
                sim = ze @ zt.t() / ls["temperature"]
                tgt = torch.arange(b)
                total = total + ls["lambda_cons"] * 0.5 * (F.cross_entropy(sim, tgt) + F.cross_entropy(sim.t(), tgt))
        return total


def keep_per_lead(e):
    p = e["n_samples"] // e["patch_size"]
    return max(1, min(p, int(math.floor(p * (1.0 - e["mask_ratio"]) + 1e-6))))


def adamw(model, lr, wd):  # = uses_weight_decay (src/train/optim.h)
    dec, nodec = [], []
    for n, p in model.named_parameters():
        skip = p.dim() < 2 or any(s in n for s in ("norm", "embed", "pos", "cls_token", "mask_token", "sentinel",
                                                    "ln", "word", "type"))
        (nodec if skip else dec).append(p)
    return torch.optim.AdamW([{"params": dec, "weight_decay": wd}, {"params": nodec, "weight_decay": 0.0}], lr=lr)


# ---------------------------------------------------------------- FLOPs (same formula as bench/train_step.cpp)
def transformer_flops(depth, w, r, b, tokens):
    return depth * (6 * (4 + 2 * r) * w * w * b * tokens + 12 * b * tokens * tokens * w)


def step_flops(cfg, b, tl, u, vocab_rows):
    e, t, hd, ls = cfg["ecg"], cfg["text"], cfg["head"], cfg["loss"]
    p = e["n_samples"] // e["patch_size"]
    m, n = e["n_leads"] * keep_per_lead(e), e["n_leads"] * p
    macs, ln, cin = 0.0, e["patch_size"], 1
    for k in kernel_layout(e["patch_size"]):
        ln //= k
        macs += ln * cin * e["tokenizer_channels"] * k
        cin = e["tokenizer_channels"]
    macs += e["tokenizer_channels"] * e["width"]
    f = dict(tokenizer=6 * macs * b * m,  # visible patches: the work needed (this peer does all n)
             ecg_encoder=transformer_flops(e["depth"], e["width"], e["mlp_ratio"], b, m))
    if ls["lambda_e_rec"] > 0:
        w = e["decoder_width"]
        f["ecg_decoder"] = 6 * e["width"] * w * b * m + transformer_flops(e["decoder_depth"], w, e["mlp_ratio"], b, n) \
            + 6 * w * e["patch_size"] * b * n
    h = t["width"]
    f["text_encoder"] = t["depth"] * (6 * (4 * h * h + 2 * h * t["intermediate"]) * b * tl + 12 * b * tl * tl * h)
    if ls["lambda_t_rec"] > 0:
        w = t["decoder_width"]
        per = 6 * 14 * w * w * b * u + 6 * 2 * w * w * b * tl + 12 * b * u * u * w + 12 * b * u * tl * w
        f["text_decoder"] = 6 * h * w * b * tl + t["decoder_depth"] * per + 6 * w * vocab_rows * b * u
    heads = 2 if ls["lambda_orth"] > 0 else 1
    f["heads"] = heads * 6 * ((e["width"] + h) * hd["hidden"] + 2 * hd["hidden"] * hd["dim"]) * b
    f["total"] = sum(f.values())
    return f


def timed(warmup, steps, fn):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(steps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return dict(median=statistics.median(ts), min=min(ts), max=max(ts), all=ts)


def run_step(cfg, name, b, tl, u, bf16, warmup, steps):
    torch.manual_seed(0)
    model = CgDmer(cfg)
    model.train()
    tr = cfg["train"]
    opt = adamw(model, tr["lr"], tr["weight_decay"])
    e = cfg["ecg"]
    vocab = cfg["text"]["vocab_size"]
    ecg = torch.rand(b, e["n_leads"], e["n_samples"])
    ids = torch.randint(1000, vocab, (b, tl))
    ids[:, 0] = 101
    mask = torch.ones(b, tl, dtype=torch.int64)
    dec_in = torch.randint(1000, model.vocab_rows, (b, u))
    dec_tgt = torch.randint(1000, model.vocab_rows, (b, u))
    params = [p for p in model.parameters()]
    last = [0.0]
    phases = []

    def step():
        t0 = time.perf_counter()
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model(ecg, ids, mask, dec_in, dec_tgt)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(params, tr["grad_clip"])
        t3 = time.perf_counter()
        opt.step()
        last[0] = float(loss)
        phases.append((t1 - t0, t2 - t1, t3 - t2, time.perf_counter() - t3))

    t = timed(warmup, steps, step)
    ph = [statistics.median(x[i] for x in phases[warmup:]) for i in range(4)]
    print("  phases (median of timed steps): forward %.3f s, backward %.3f s, clip %.3f s, AdamW %.3f s" % tuple(ph))
    f = step_flops(cfg, b, tl, u, model.vocab_rows)
    n_params = sum(p.numel() for p in model.parameters())
    r = dict(mode="step", impl="python", config=name, precision="bf16" if bf16 else "fp32", batch=b, text_len=tl,
             dec_len=u, patches_per_lead=e["n_samples"] // e["patch_size"], mask_ratio=e["mask_ratio"],
             params=n_params, threads=torch.get_num_threads(), warmup=warmup, steps=steps, step_s=t,
             pairs_per_s=b / t["median"], gflop_per_step=f["total"] / 1e9, gflops=f["total"] / 1e9 / t["median"],
             flops_by_part=f, last_loss=last[0],
             phase_s_median=dict(forward=ph[0], backward=ph[1], clip=ph[2], adamw=ph[3]))
    print("peer   %-6s %-4s B=%-3d T=%d U=%d  params %.2fM  median %.3f s (min %.3f max %.3f)  %.2f pairs/s  "
          "%.1f GFLOP/step  %.1f GFLOP/s" % (name, r["precision"], b, tl, u, n_params / 1e6, t["median"], t["min"],
                                             t["max"], b / t["median"], f["total"] / 1e9, r["gflops"]))
    return r


def run_encoder(cfg, name, b, bf16, warmup, steps):
    torch.manual_seed(0)
    e = cfg["ecg"]
    enc = Encoder(e)
    opt = adamw(enc, cfg["train"]["lr"], cfg["train"]["weight_decay"])
    m = e["n_leads"] * keep_per_lead(e)
    x = torch.randn(b, m, e["width"])

    def step():
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = enc.pool(enc(x)).float().pow(2).mean()
        loss.backward()
        opt.step()

    t = timed(warmup, steps, step)
    f = transformer_flops(e["depth"], e["width"], e["mlp_ratio"], b, m)
    r = dict(mode="encoder", impl="python", config=name, precision="bf16" if bf16 else "fp32", batch=b, tokens=m,
             params=sum(p.numel() for p in enc.parameters()), threads=torch.get_num_threads(), step_s=t,
             gflop_per_step=f / 1e9, gflops=f / 1e9 / t["median"], gflops_best=f / 1e9 / t["min"])
    print("peer encoder %-6s %-4s B=%d M=%d median %.3f s  %.1f GFLOP/s" % (name, r["precision"], b, m, t["median"],
                                                                           r["gflops"]))
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default="tiny")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--mode", default="step", choices=["step", "encoder"])
    ap.add_argument("--precision", default="both", choices=["fp32", "bf16", "both"])
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--text-len", type=int, default=0)
    ap.add_argument("--dec-len", type=int, default=0)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--fp32-tokenizer", action="store_true",
                    help="run the patch convs outside autocast like ours (not how the peers write it)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads if a.threads > 0 else os.cpu_count())
    cfg = load_config(a.config, a.set)
    Tokenizer.fp32_convs = a.fp32_tokenizer
    name = cfg.get("name", a.config)
    b = a.batch or (32 if name == "tiny" else 4)
    tl = a.text_len or min(cfg["text"]["max_len"], 128)
    u = a.dec_len or min(cfg["text"]["decoder_max_len"], tl // 5 + 2)
    print("# torch %s threads=%d OMP_WAIT_POLICY=%s" % (torch.__version__, torch.get_num_threads(),
                                                        os.environ.get("OMP_WAIT_POLICY", "(unset)")))
    precs = [p for p in (False, True) if a.precision == "both" or (a.precision == "bf16") == p]
    for bf in precs:
        r = run_step(cfg, name, b, tl, u, bf, a.warmup, a.steps) if a.mode == "step" else \
            run_encoder(cfg, name, b, bf, a.warmup, a.steps)
        print("RESULT " + json.dumps(r), flush=True)
    print("# reproduce: /usr/bin/python3 " + " ".join(sys.argv))


if __name__ == "__main__":
    main()
