#!/usr/bin/env python3
"""Load a `cgdmer export` folder with plain PyTorch and reproduce `cgdmer embed`.

No package besides torch: model.safetensors and .npy files are parsed by hand (json +
struct), and the ECG encoder forward is written out from the exported parameter names
(see DIR/PARAMETERS.md and DIR/config.json "ecg_encoder"):

  patches  x (B, L, S) -> (B*L*P, 1, patch_size)
  tokens   convs.{i} (kernel = stride, no bias) [GroupNorm(C, C) after conv 0] -> GELU,
           proj Linear C -> D, + lead_embed[l] + temporal_embed[p]; token n = l*P + p
  encoder  pre-norm blocks: x += proj(attn(norm1(x))); x += fc2(gelu(fc1(norm2(x))))
           attention: qkv (B, N, 3, H, D/H), softmax(q k^T / sqrt(D/H)) v
           then LayerNorm `norm`
  pooled   pool_norm(mean over tokens)                 == embed --kind pooled
  shared   l2_normalize(ecg_sh.fc2(gelu(ecg_sh.fc1(pooled))))   == embed --kind shared

Usage (the input must already be preprocessed: `cgdmer embed ... --dump-input in.npy`):
  /usr/bin/python3 tools/load_exported.py EXPORT_DIR --input in.npy \
      [--compare-pooled out.pooled.npy] [--compare-shared out.shared.npy] [--tol 1e-4] \
      [--save-pooled p.npy] [--save-shared s.npy]
Prints one JSON line {"n", "pooled_max_abs_diff", "shared_max_abs_diff"}; exits 1 when a
compared difference exceeds --tol.
"""
import argparse
import ast
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

_ST_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}


def read_safetensors(path):
    """safetensors: u64 LE header length, JSON header, raw little-endian tensor bytes."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        dtype = _ST_DTYPES[info["dtype"]]
        if end > begin:
            t = torch.frombuffer(bytearray(data[base + begin:base + end]), dtype=dtype)
        else:
            t = torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(info["shape"])
    return tensors, header.get("__metadata__", {})


def read_npy(path):
    """NumPy .npy v1/v2 holding little-endian float32 in C order."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        raise ValueError(f"{path}: not a .npy file")
    if data[6] == 1:
        (hlen,) = struct.unpack("<H", data[8:10])
        off = 10
    else:
        (hlen,) = struct.unpack("<I", data[8:12])
        off = 12
    header = ast.literal_eval(data[off:off + hlen].decode("latin1"))
    if header["descr"] != "<f4" or header["fortran_order"]:
        raise ValueError(f"{path}: expected '<f4' in C order, got {header}")
    t = torch.frombuffer(bytearray(data[off + hlen:]), dtype=torch.float32)
    return t.reshape(header["shape"])


def write_npy(path, t):
    t = t.detach().to(torch.float32).contiguous()
    shape = tuple(t.shape)
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % (shape,)
    pad = (64 - (10 + len(header) + 1) % 64) % 64
    header = header + " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        vals = t.flatten().tolist()
        f.write(struct.pack("<%df" % len(vals), *vals))


class ExportedEcgEncoder:
    """The ECG branch of an exported CG-DMER (tokenizer, encoder, pooled LN, f_sh^ecg)."""

    def __init__(self, export_dir):
        self.w, self.meta = read_safetensors(os.path.join(export_dir, "model.safetensors"))
        with open(os.path.join(export_dir, "config.json")) as f:
            self.cfg = json.load(f)
        enc = self.cfg["ecg_encoder"]
        self.patch = enc["patch_size"]
        self.kernels = enc["conv_kernels"]
        self.heads = enc["heads"]
        self.depth = enc["depth"]
        self.gn_eps = enc["group_norm_eps"]
        self.ln_eps = enc["layer_norm_eps"]
        self.n_leads = self.cfg["preprocessing"]["n_leads"]
        self.n_samples = self.cfg["preprocessing"]["n_samples"]

    def _ln(self, x, name):
        return F.layer_norm(x, (x.shape[-1],), self.w[name + ".weight"], self.w[name + ".bias"], self.ln_eps)

    def _lin(self, x, name):
        return F.linear(x, self.w[name + ".weight"], self.w.get(name + ".bias"))

    @torch.no_grad()
    def pooled(self, x):
        """x (B, L, S) float32 in [0, 1] -> (B, D)."""
        w = self.w
        B, L, S = x.shape
        assert L == self.n_leads and S == self.n_samples, f"input must be (B, {self.n_leads}, {self.n_samples})"
        P = S // self.patch
        h = x.reshape(B * L * P, 1, self.patch)
        for i, k in enumerate(self.kernels):
            h = F.conv1d(h, w[f"ecg_tokenizer.convs.{i}.weight"], stride=k)
            if i == 0 and "ecg_tokenizer.norm.weight" in w:
                h = F.group_norm(h, h.shape[1], w["ecg_tokenizer.norm.weight"],
                                 w["ecg_tokenizer.norm.bias"], self.gn_eps)
            h = F.gelu(h)
        C = h.shape[1]
        t = self._lin(h.reshape(B, L, P, C), "ecg_tokenizer.proj")           # (B, L, P, D)
        t = t + w["ecg_tokenizer.lead_embed"][:, None, :] + w["ecg_tokenizer.temporal_embed"][None]
        D = t.shape[-1]
        t = t.reshape(B, L * P, D)                                            # n = l*P + p
        H = self.heads
        for i in range(self.depth):
            p = f"ecg_encoder.blocks.{i}."
            y = self._ln(t, p + "norm1")
            qkv = self._lin(y, p + "attn.qkv").reshape(B, L * P, 3, H, D // H).permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]                                  # (B, H, N, D/H)
            a = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(D // H), dim=-1) @ v
            t = t + self._lin(a.transpose(1, 2).reshape(B, L * P, D), p + "attn.proj")
            y = self._ln(t, p + "norm2")
            t = t + self._lin(F.gelu(self._lin(y, p + "mlp.fc1")), p + "mlp.fc2")
        t = self._ln(t, "ecg_encoder.norm")
        return self._ln(t.mean(1), "ecg_encoder.pool_norm")

    @torch.no_grad()
    def shared(self, pooled):
        """(B, D) pooled -> (B, E) L2-normalised f_sh^ecg."""
        z = self._lin(F.gelu(self._lin(pooled, "ecg_sh.fc1")), "ecg_sh.fc2")
        return F.normalize(z, dim=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("export_dir")
    ap.add_argument("--input", required=True, help="(N, L, S) preprocessed input (embed --dump-input)")
    ap.add_argument("--compare-pooled")
    ap.add_argument("--compare-shared")
    ap.add_argument("--save-pooled")
    ap.add_argument("--save-shared")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--batch", type=int, default=64)
    a = ap.parse_args()
    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
    enc = ExportedEcgEncoder(a.export_dir)
    x = read_npy(a.input)
    pooled = torch.cat([enc.pooled(x[i:i + a.batch]) for i in range(0, x.shape[0], a.batch)], 0)
    shared = enc.shared(pooled)
    out = {"n": int(x.shape[0])}
    ok = True
    for name, mine, ref in (("pooled", pooled, a.compare_pooled), ("shared", shared, a.compare_shared)):
        if ref:
            r = read_npy(ref)
            if tuple(r.shape) != tuple(mine.shape):
                print(f"{ref}: shape {tuple(r.shape)} != {tuple(mine.shape)}", file=sys.stderr)
                return 1
            d = float((mine - r).abs().max())
            out[name + "_max_abs_diff"] = d
            ok = ok and d <= a.tol
    if a.save_pooled:
        write_npy(a.save_pooled, pooled)
    if a.save_shared:
        write_npy(a.save_shared, shared)
    out["tol"] = a.tol
    out["ok"] = ok
    print(json.dumps(out))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
