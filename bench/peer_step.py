#!/usr/bin/python3
"""bench/peer_step.py: the CG-DMER training step in plain PyTorch eager, as the peers write it.

The Python peer of bench_train_step (same model, same synthetic inputs, same harness, same
FLOP formula). Run with Debian's python3 (torch 1.13.1), e.g.
  OMP_WAIT_POLICY=passive /usr/bin/python3 bench/peer_step.py --config configs/tiny.toml --precision both

The model is tools/cgdmer_reference.py, the module the fixture generator imports too, so the
model cgdmer is timed against is the one its arithmetic is checked against. How the peers
write it (MERL, ST-MEM, C-MELT; read in shared/reference/peers.md), which that module follows:
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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
from cgdmer_reference import CgDmer, Encoder, Tokenizer, kernel_layout, keep_per_lead  # noqa: E402

try:
    import tomllib
except ImportError:  # pragma: no cover
    tomllib = None



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


def st_mem_mask(b, e):
    """ST-MEM per-lead random masking: shuffle each lead's patches, keep the first K."""
    l, p, keep = e["n_leads"], e["n_samples"] // e["patch_size"], keep_per_lead(e)
    ids_shuffle = torch.rand(b, l, p).argsort(-1)
    return (ids_shuffle[..., :keep] + (torch.arange(l) * p)[None, :, None]).reshape(b, l * keep)


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
            _, loss = model(ecg, st_mem_mask(b, e), text_ids=ids, text_mask=mask, dec_in=dec_in, dec_tgt=dec_tgt)
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
