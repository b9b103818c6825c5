// Spatial–temporal patch masking (paper §2.1): every lead keeps the same number K of its P
// patches (K = Config::ecg_keep_per_lead(): floor(P·(1 − r) + 1e-6), at least 1), at
// positions drawn independently per lead and per sample from a torch::Generator (MAE's
// argsort-of-uniform-noise, done per lead as in ST-MEM).
// Shapes: B batch, L leads, P patches per lead, K kept per lead, N = L·P.
#pragma once

#include <torch/torch.h>

namespace cgdmer {

struct PatchMask {
  torch::Tensor ids_keep;     // (B, L·K) int64 token indices l·P + p of the visible tokens,
                              //   lead-major (lead 0's K tokens first)
  torch::Tensor ids_restore;  // (B, L, P) int64: position of patch p in lead l's shuffled
                              //   order (MAE's ids_restore; undefined from patch_mask_from_keep)
  torch::Tensor mask;         // (B, L, P) float32: 1 = masked (to reconstruct), 0 = visible
};

PatchMask random_patch_mask(int64_t batch, int64_t leads, int64_t patches, int64_t keep,
                            torch::Generator gen, torch::Device device = torch::kCPU);

// Mask from given visible indices (e.g. a fixture's): ids_keep (B, M) int64 in [0, L·P).
PatchMask patch_mask_from_keep(const torch::Tensor& ids_keep, int64_t leads, int64_t patches);

}  // namespace cgdmer
