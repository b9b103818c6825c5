#!/usr/bin/python3
"""Reference fixtures for the BERT text encoder, the MLM head and the text decoder.

Implements Hugging Face's BertModel math (transformers/models/bert/modeling_bert.py:
embeddings LN, post-LN layers, additive finfo.min attention mask, erf GELU, tanh pooler) and
BertOnlyMLMHead in plain torch with HF parameter names, plus cgdmer's text decoder
(src/model/text_decoder.cpp), for tiny random weights. Needs only Debian's python3-torch
(no transformers). Writes, in tests/fixtures/bert/:
  tiny/config.json, tiny/model.safetensors   HF-style folder (with HF's position_ids buffer)
  bert_io.safetensors      input_ids, attention_mask, last_hidden, pooler, mlm_bias, mlm_logits
  decoder.safetensors      decoder weights ("decoder." prefix) + batch + loss + gradients
Regenerate:  /usr/bin/python3 tools/make_bert_fixture.py
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "bert")

CFG = dict(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
           intermediate_size=64, max_position_embeddings=64, type_vocab_size=2,
           layer_norm_eps=1e-12, hidden_act="gelu", model_type="bert",
           position_embedding_type="absolute", hidden_dropout_prob=0.1,
           attention_probs_dropout_prob=0.1, architectures=["BertModel"])

DEC = dict(vocab_size=120, memory_dim=32, width=16, layers=2, heads=2, mlp_ratio=2, max_len=16)

ST_DTYPES = {torch.float32: "F32", torch.int64: "I64", torch.float64: "F64"}


def write_safetensors(path, tensors, metadata=None):
    """The safetensors format by hand: u64 LE header length, JSON header, raw LE bytes."""
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        b = t.numpy().tobytes()
        header[name] = {"dtype": ST_DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def rand_bert_weights(g):
    c, H, I = CFG, CFG["hidden_size"], CFG["intermediate_size"]
    # Larger than HF's N(0, 0.02) init so every op visibly shapes the output.
    w = lambda *s: torch.randn(*s, generator=g) * 0.3
    b = lambda n: torch.randn(n, generator=g) * 0.1
    ln_w = lambda n: 1.0 + torch.randn(n, generator=g) * 0.1
    p = {
        "embeddings.word_embeddings.weight": w(c["vocab_size"], H),
        "embeddings.position_embeddings.weight": w(c["max_position_embeddings"], H),
        "embeddings.token_type_embeddings.weight": w(c["type_vocab_size"], H),
        "embeddings.LayerNorm.weight": ln_w(H),
        "embeddings.LayerNorm.bias": b(H),
        "pooler.dense.weight": w(H, H),
        "pooler.dense.bias": b(H),
    }
    for i in range(c["num_hidden_layers"]):
        pre = f"encoder.layer.{i}."
        for n in ("attention.self.query", "attention.self.key", "attention.self.value",
                  "attention.output.dense"):
            p[pre + n + ".weight"] = w(H, H)
            p[pre + n + ".bias"] = b(H)
        p[pre + "attention.output.LayerNorm.weight"] = ln_w(H)
        p[pre + "attention.output.LayerNorm.bias"] = b(H)
        p[pre + "intermediate.dense.weight"] = w(I, H)
        p[pre + "intermediate.dense.bias"] = b(I)
        p[pre + "output.dense.weight"] = w(H, I)
        p[pre + "output.dense.bias"] = b(H)
        p[pre + "output.LayerNorm.weight"] = ln_w(H)
        p[pre + "output.LayerNorm.bias"] = b(H)
    return p


def linear(p, name, x):
    return F.linear(x, p[name + ".weight"], p[name + ".bias"])


def layer_norm(p, name, x, eps):
    return F.layer_norm(x, (x.shape[-1],), p[name + ".weight"], p[name + ".bias"], eps)


def hf_bert(p, ids, mask):
    """HF BertModel.forward in eval mode (dropout off), token_type_ids = 0."""
    c, eps = CFG, CFG["layer_norm_eps"]
    B, T = ids.shape
    H, nh = c["hidden_size"], c["num_attention_heads"]
    dh = H // nh
    pos = torch.arange(T).unsqueeze(0)
    tt = torch.zeros_like(ids)
    x = (F.embedding(ids, p["embeddings.word_embeddings.weight"])
         + F.embedding(tt, p["embeddings.token_type_embeddings.weight"])
         + F.embedding(pos, p["embeddings.position_embeddings.weight"]))
    x = layer_norm(p, "embeddings.LayerNorm", x, eps)
    ext = (1.0 - mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min  # HF's mask
    for i in range(c["num_hidden_layers"]):
        pre = f"encoder.layer.{i}."
        split = lambda y: y.view(B, T, nh, dh).permute(0, 2, 1, 3)
        q = split(linear(p, pre + "attention.self.query", x))
        k = split(linear(p, pre + "attention.self.key", x))
        v = split(linear(p, pre + "attention.self.value", x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(dh) + ext
        ctx = torch.matmul(scores.softmax(-1), v).permute(0, 2, 1, 3).reshape(B, T, H)
        a = layer_norm(p, pre + "attention.output.LayerNorm",
                       linear(p, pre + "attention.output.dense", ctx) + x, eps)
        inter = F.gelu(linear(p, pre + "intermediate.dense", a))  # erf GELU (HF "gelu")
        x = layer_norm(p, pre + "output.LayerNorm", linear(p, pre + "output.dense", inter) + a, eps)
    pooled = torch.tanh(linear(p, "pooler.dense", x[:, 0]))
    return x, pooled


def hf_mlm_head(p, h, word_emb):
    """HF BertOnlyMLMHead: transform (dense, gelu, LayerNorm) → decoder tied to word_emb + bias."""
    t = layer_norm(p, "transform.LayerNorm", F.gelu(linear(p, "transform.dense", h)),
                   CFG["layer_norm_eps"])
    return t @ word_emb.t() + p["bias"]


def rand_decoder_weights(g):
    d = DEC
    W, V, M, R = d["width"], d["vocab_size"], d["memory_dim"], d["width"] * d["mlp_ratio"]
    w = lambda *s: torch.randn(*s, generator=g) * 0.3
    b = lambda n: torch.randn(n, generator=g) * 0.1
    ln_w = lambda n: 1.0 + torch.randn(n, generator=g) * 0.1
    p = {"token_embedding.weight": w(V, W), "position_embedding": w(d["max_len"], W),
         "memory_proj.weight": w(W, M), "memory_proj.bias": b(W),
         "ln_f.weight": ln_w(W), "ln_f.bias": b(W), "head.weight": w(V, W), "head.bias": b(V)}
    for i in range(d["layers"]):
        pre = f"layers.{i}."
        for ln in ("ln1", "ln2", "ln3"):
            p[pre + ln + ".weight"] = ln_w(W)
            p[pre + ln + ".bias"] = b(W)
        for att in ("self_attn", "cross_attn"):
            for n in ("query", "key", "value", "out"):
                p[f"{pre}{att}.{n}.weight"] = w(W, W)
                p[f"{pre}{att}.{n}.bias"] = b(W)
        p[pre + "mlp.fc1.weight"] = w(R, W)
        p[pre + "mlp.fc1.bias"] = b(R)
        p[pre + "mlp.fc2.weight"] = w(W, R)
        p[pre + "mlp.fc2.bias"] = b(W)
    return p


def mha(p, name, xq, xkv, keep, causal, heads):
    B, U, W = xq.shape
    T = xkv.shape[1]
    dh = W // heads
    q = linear(p, name + ".query", xq).view(B, U, heads, dh).transpose(1, 2)
    k = linear(p, name + ".key", xkv).view(B, T, heads, dh).transpose(1, 2)
    v = linear(p, name + ".value", xkv).view(B, T, heads, dh).transpose(1, 2)
    s = q @ k.transpose(-1, -2) / math.sqrt(dh)
    if causal:
        s = s.masked_fill(~torch.ones(U, T, dtype=torch.bool).tril(), float("-inf"))
    if keep is not None:
        s = s.masked_fill(~keep, float("-inf"))
    o = (s.softmax(-1) @ v).transpose(1, 2).reshape(B, U, W)
    return linear(p, name + ".out", o)


def text_decoder(p, dec_in, memory, memory_mask):
    """Pre-norm decoder: x += SA(LN x) causal; x += CA(LN x, proj(memory)); x += MLP(LN x)."""
    d = DEC
    U = dec_in.shape[1]
    x = F.embedding(dec_in, p["token_embedding.weight"]) + p["position_embedding"][:U]
    mem = linear(p, "memory_proj", memory)
    keep = memory_mask.bool()[:, None, None, :]
    for i in range(d["layers"]):
        pre = f"layers.{i}."
        h = layer_norm(p, pre + "ln1", x, 1e-5)
        x = x + mha(p, pre + "self_attn", h, h, None, True, d["heads"])
        x = x + mha(p, pre + "cross_attn", layer_norm(p, pre + "ln2", x, 1e-5), mem, keep,
                    False, d["heads"])
        h = layer_norm(p, pre + "ln3", x, 1e-5)
        x = x + linear(p, pre + "mlp.fc2", F.gelu(linear(p, pre + "mlp.fc1", h)))
    return linear(p, "head", layer_norm(p, "ln_f", x, 1e-5))


def main():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1234)
    os.makedirs(os.path.join(OUT, "tiny"), exist_ok=True)

    # --- BERT encoder -------------------------------------------------------------------
    p = rand_bert_weights(g)
    T = 10
    ids = torch.randint(1, CFG["vocab_size"], (2, T), generator=g)
    mask = torch.ones(2, T, dtype=torch.int64)
    mask[1, 6:] = 0  # second sequence padded after 6 tokens
    ids[1, 6:] = 0   # [PAD]
    with torch.no_grad():
        last, pooled = hf_bert(p, ids, mask)
    weights = dict(p)
    # HF's BertEmbeddings registers position_ids as a buffer; older checkpoints carry it.
    weights["embeddings.position_ids"] = torch.arange(CFG["max_position_embeddings"]).unsqueeze(0)
    write_safetensors(os.path.join(OUT, "tiny", "model.safetensors"), weights, {"format": "pt"})
    with open(os.path.join(OUT, "tiny", "config.json"), "w") as f:
        json.dump(CFG, f, indent=2)

    H, V = CFG["hidden_size"], CFG["vocab_size"]
    mlm = {"transform.dense.weight": torch.randn(H, H, generator=g) * 0.3,
           "transform.dense.bias": torch.randn(H, generator=g) * 0.1,
           "transform.LayerNorm.weight": 1.0 + torch.randn(H, generator=g) * 0.1,
           "transform.LayerNorm.bias": torch.randn(H, generator=g) * 0.1,
           "bias": torch.randn(V, generator=g) * 0.1}
    with torch.no_grad():
        mlm_logits = hf_mlm_head(mlm, last, p["embeddings.word_embeddings.weight"])
    io = {"input_ids": ids, "attention_mask": mask, "last_hidden": last, "pooler": pooled,
          "mlm_logits": mlm_logits}
    io.update({"mlm." + k: v for k, v in mlm.items()})
    write_safetensors(os.path.join(OUT, "bert_io.safetensors"), io)

    # --- text decoder -------------------------------------------------------------------
    d = DEC
    dp = {k: v.requires_grad_() for k, v in rand_decoder_weights(g).items()}
    memory = (torch.randn(2, T, d["memory_dim"], generator=g)).requires_grad_()
    U = 8
    dec_in = torch.randint(0, d["vocab_size"], (2, U), generator=g)
    target = torch.randint(0, d["vocab_size"], (2, U), generator=g)
    target[1, 5:] = -100  # padding of the shorter target sequence
    logits = text_decoder(dp, dec_in, memory, mask)
    loss = F.cross_entropy(logits.reshape(-1, d["vocab_size"]), target.reshape(-1),
                           ignore_index=-100)
    loss.backward()
    grad_keys = ["token_embedding.weight", "position_embedding", "memory_proj.weight",
                 "layers.0.self_attn.query.weight", "layers.1.cross_attn.value.weight",
                 "layers.1.mlp.fc1.bias", "head.bias"]
    dec = {"decoder." + k: v.detach() for k, v in dp.items()}
    dec.update({"grad." + k: dp[k].grad for k in grad_keys})
    dec.update({"memory": memory.detach(), "memory_mask": mask, "decoder_input": dec_in,
                "target": target, "logits": logits.detach(), "loss": loss.detach().reshape(1),
                "grad.memory": memory.grad})
    write_safetensors(os.path.join(OUT, "decoder.safetensors"), dec,
                      {k: str(v) for k, v in DEC.items()})
    print(f"last_hidden[0,0,:3]={last[0, 0, :3].tolist()} loss={loss.item():.6f}", file=sys.stderr)


if __name__ == "__main__":
    main()
