"""The CG-DMER reference model in plain PyTorch: one module that the fixture generator
(tools/make_model_fixture.py, checked by tests/model/test_cgdmer_fixture.cpp) and the bench
peer (bench/peer_step.py) both import, so the model that proves cgdmer's arithmetic and the
model cgdmer is timed against are the same model.

Parameter names are cgdmer's (src/model): ecg_tokenizer.convs.0.weight, ecg_encoder.blocks.0.
attn.qkv.weight, ecg_encoder.blocks.0.mlp.fc1.weight, ecg_sh.fc1.weight, ... The text encoder is
written in HF BertModel's layout with hand attention (as the peers' BertModel runs it) and the
sentinel decoder as in src/model/text_decoder.h. Configs are dicts in configs/*.toml's layout
(sections ecg, text, head, loss). Plain torch 1.13+ (Debian python3-torch); no cgdmer code.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def sincos(n, dim):
    """(n, dim) fixed sin-cos table, as model/sincos_embedding.cpp."""
    omega = 1.0 / 10000 ** (torch.arange(dim // 2, dtype=torch.float64) / (dim // 2))
    out = torch.outer(torch.arange(n, dtype=torch.float64), omega)
    return torch.cat([torch.sin(out), torch.cos(out)], 1).float()


def kernel_layout(patch):
    """Conv kernels (= strides) of the patch tokenizer: tokenizer_kernel_layout (ecg_tokenizer.cpp)."""
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


def keep_per_lead(e):
    """Visible patches per lead: Config::ecg_keep_per_lead."""
    p = e["n_samples"] // e["patch_size"]
    return max(1, min(p, int(math.floor(p * (1.0 - e["mask_ratio"]) + 1e-6))))


# ---------------------------------------------------------------- ECG side (timm / ST-MEM blocks)
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
    """Pre-LN transformer block (model/transformer_block.h)."""

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
    """Per-patch conv stack → Linear → + lead and temporal embeddings (Eq. 1). `e` is the ecg
    section; e["tokenizer_norm"]: patch (conv → GroupNorm → GELU, C-MELT's), post (conv → GELU →
    GroupNorm, the paper's order), stats (patch, plus the patch mean and std through a Linear)."""

    fp32_convs = False  # bench knob: run the convs outside autocast, as cgdmer does

    def __init__(self, e, embed_std=0.02):
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
        self.mode = e.get("tokenizer_norm", "patch")
        if self.mode == "stats":
            self.stats = nn.Linear(2, e["width"])
        p = e["n_samples"] // e["patch_size"]
        self.lead_embed = nn.Parameter(torch.randn(e["n_leads"], e["width"]) * embed_std)
        self.register_buffer("temporal_embed", sincos(p, e["width"]))

    def forward(self, ecg):
        with torch.autocast("cpu", enabled=not self.fp32_convs and torch.is_autocast_cpu_enabled(),
                            dtype=torch.bfloat16):
            return self._forward(ecg)

    def _forward(self, ecg):
        b, l, s = ecg.shape
        p = s // self.e["patch_size"]
        patches = ecg.reshape(b * l * p, 1, self.e["patch_size"])
        x = patches
        for i, conv in enumerate(self.convs):
            x = conv(x)
            if i == 0 and self.use_norm and self.mode != "post":
                x = self.norm(x.float())  # fp32 GroupNorm, as fairseq/C-MELT's Fp32GroupNorm
            x = F.gelu(x)
            if i == 0 and self.use_norm and self.mode == "post":
                x = self.norm(x.float())
        t = self.proj(x.reshape(b, l, p, -1))
        if self.mode == "stats":  # the patch mean and (population) std, put back
            mean = patches.mean(-1)
            sd = patches.std(-1, unbiased=False)
            t = t + self.stats(torch.cat([10 * (mean - 0.5), 10 * sd], -1).reshape(b, l, p, 2))
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
        """Mean over tokens → LayerNorm: the pooled feature (B, D)."""
        return self.pool_norm(x.mean(1))


class Decoder(nn.Module):
    """MAE decoder: visible tokens + mask tokens at the masked places → patch values (Eq. 2)."""

    def __init__(self, e, embed_std=0.02):
        super().__init__()
        self.e = e
        w = e["decoder_width"]
        p = e["n_samples"] // e["patch_size"]
        self.embed = nn.Linear(e["width"], w)
        self.mask_token = nn.Parameter(torch.randn(1, 1, w) * embed_std)
        self.lead_embed = nn.Parameter(torch.randn(e["n_leads"], w) * embed_std)
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
    """Sentinel span decoder (L_t.rec): causal self-attention + cross-attention to the report."""

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
    """f_sp / f_sh: Linear → GELU → Linear (Eq. 4)."""

    def __init__(self, i, h, o):
        super().__init__()
        self.fc1 = nn.Linear(i, h)
        self.fc2 = nn.Linear(h, o)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


# ---------------------------------------------------------------- losses (model/losses.h), fp32
def ecg_reconstruction_loss(pred, target, mask):
    """L_e.rec: MSE per patch, averaged over the masked patches (mask 1 = masked)."""
    return (((pred.float() - target) ** 2).mean(-1) * mask).sum() / mask.sum()


def orthogonality_loss(sp, sh):
    """L_orth term: mean squared cosine between h_sp and h_sh (Eq. 5)."""
    return (F.cosine_similarity(sp.float(), sh.float(), 1, 1e-8) ** 2).mean()


def siglip_loss(ze, zt, log_scale, bias):
    """L_SigLIP on L2-normalised embeddings (Eq. 6)."""
    b = ze.shape[0]
    logits = ze @ zt.t() * log_scale.exp() + bias
    labels = 2 * torch.eye(b) - 1
    return -F.logsigmoid(labels * logits).sum() / b


def clip_loss(ze, zt, temperature):
    """L_cons: symmetric InfoNCE with the diagonal as targets (Eqs. 7-9)."""
    sim = ze @ zt.t() / temperature
    tgt = torch.arange(ze.shape[0])
    return 0.5 * (F.cross_entropy(sim, tgt) + F.cross_entropy(sim.t(), tgt))


# ---------------------------------------------------------------- the model
class CgDmer(nn.Module):
    """CG-DMER as src/model/cgdmer_model.cpp: modules exist only for the terms whose λ > 0.
    with_text=False leaves out the text encoder and decoder: the text side then enters as a
    given [CLS] feature (forward's text_cls), as in the fixture. embed_std: the init std of the
    lead embeddings and the mask token (cgdmer: 0.02)."""

    def __init__(self, cfg, with_text=True, embed_std=0.02):
        super().__init__()
        e, t, hd, ls = cfg["ecg"], cfg["text"], cfg["head"], cfg["loss"]
        self.cfg = cfg
        self.has = dict(e_rec=ls["lambda_e_rec"] > 0, t_rec=ls["lambda_t_rec"] > 0 and with_text,
                        orth=ls["lambda_orth"] > 0, siglip=ls["lambda_siglip"] > 0, cons=ls["lambda_cons"] > 0)
        self.vocab_rows = t["vocab_size"] + (t["n_sentinels"] + 1 if self.has["t_rec"] else 0)
        self.ecg_tokenizer = Tokenizer(e, embed_std)
        self.ecg_encoder = Encoder(e)
        self.ecg_decoder = Decoder(e, embed_std) if self.has["e_rec"] else None
        self.text_encoder = Bert(t, self.vocab_rows) if with_text else None
        self.text_decoder = TextDecoder(t, self.vocab_rows) if self.has["t_rec"] else None
        self.ecg_sh = Head(e["width"], hd["hidden"], hd["dim"])
        self.text_sh = Head(t["width"], hd["hidden"], hd["dim"])
        if self.has["orth"]:
            self.ecg_sp = Head(e["width"], hd["hidden"], hd["dim"])
            self.text_sp = Head(t["width"], hd["hidden"], hd["dim"])
        if self.has["siglip"]:
            self.siglip_log_scale = nn.Parameter(torch.tensor(math.log(10.0)))
            self.siglip_bias = nn.Parameter(torch.tensor(-10.0))

    def forward(self, ecg, ids_keep, text_cls=None, text_ids=None, text_mask=None, dec_in=None, dec_tgt=None):
        """ecg (B, L, S); ids_keep (B, L·K) visible token indices l·P + p. The text is either
        text_cls (B, H), or text_ids/text_mask (+ dec_in/dec_tgt for L_t.rec). Returns
        ({term: unweighted loss}, weighted total)."""
        e, ls = self.cfg["ecg"], self.cfg["loss"]
        b, l, s = ecg.shape
        p = s // e["patch_size"]
        tokens = self.ecg_tokenizer(ecg)
        vis = tokens.gather(1, ids_keep[..., None].expand(-1, -1, tokens.shape[-1]))
        enc = self.ecg_encoder(vis)
        pooled = self.ecg_encoder.pool(enc)
        logits = None
        if text_cls is None:
            hidden = self.text_encoder(text_ids, text_mask)
            text_cls = hidden[:, 0]
            if self.text_decoder is not None:
                logits = self.text_decoder(dec_in, hidden, text_mask)
        pred = self.ecg_decoder(enc, ids_keep) if self.ecg_decoder is not None else None
        he_sh, ht_sh = self.ecg_sh(pooled), self.text_sh(text_cls)
        terms, weights = {}, {}
        with torch.autocast("cpu", enabled=False):  # losses in fp32
            if pred is not None:
                mask = torch.ones(b, l * p).scatter(1, ids_keep, 0.0).view(b, l, p)
                terms["loss_e_rec"] = ecg_reconstruction_loss(pred, ecg.view(b, l, p, e["patch_size"]), mask)
                weights["loss_e_rec"] = ls["lambda_e_rec"]
            if logits is not None:
                terms["loss_t_rec"] = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(),
                                                      dec_tgt.reshape(-1), ignore_index=-100)
                weights["loss_t_rec"] = ls["lambda_t_rec"]
            if self.has["orth"]:
                terms["loss_orth"] = orthogonality_loss(self.ecg_sp(pooled), he_sh) + \
                    orthogonality_loss(self.text_sp(text_cls), ht_sh)
                weights["loss_orth"] = ls["lambda_orth"]
            ze, zt = F.normalize(he_sh.float(), dim=1), F.normalize(ht_sh.float(), dim=1)
            if self.has["siglip"]:
                terms["loss_siglip"] = siglip_loss(ze, zt, self.siglip_log_scale, self.siglip_bias)
                weights["loss_siglip"] = ls["lambda_siglip"]
            if self.has["cons"]:
                terms["loss_cons"] = clip_loss(ze, zt, ls["temperature"])
                weights["loss_cons"] = ls["lambda_cons"]
            total = sum(weights[k] * v for k, v in terms.items())
        return terms, total
