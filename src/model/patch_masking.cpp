// Implements patch_masking.h.
#include "model/patch_masking.h"

namespace cgdmer {

PatchMask random_patch_mask(int64_t batch, int64_t leads, int64_t patches, int64_t keep,
                            torch::Generator gen, torch::Device device) {
  TORCH_CHECK(keep >= 1 && keep <= patches, "keep ", keep, " not in [1, ", patches, "]");
  // Noise drawn on the CPU generator so the mask depends on the seed only, not the device.
  auto noise = torch::rand({batch, leads, patches}, gen, torch::kFloat32);  // (B, L, P)
  auto ids_shuffle = noise.argsort(int64_t{-1}, false);                                      // (B, L, P)
  PatchMask m;
  m.ids_restore = ids_shuffle.argsort(int64_t{-1}, false).to(device);
  auto lead_offset = (torch::arange(leads, torch::kInt64) * patches).view({1, leads, 1});
  m.ids_keep = (ids_shuffle.narrow(-1, 0, keep) + lead_offset).reshape({batch, leads * keep}).to(device);
  // masked = rank in the shuffled order >= keep
  m.mask = (m.ids_restore >= keep).to(torch::kFloat32);
  return m;
}

PatchMask patch_mask_from_keep(const torch::Tensor& ids_keep, int64_t leads, int64_t patches) {
  TORCH_CHECK(ids_keep.dim() == 2 && ids_keep.scalar_type() == torch::kInt64,
              "ids_keep must be (B, M) int64");
  TORCH_CHECK(ids_keep.numel() == 0 ||
                  (ids_keep.min().item<int64_t>() >= 0 &&
                   ids_keep.max().item<int64_t>() < leads * patches),
              "ids_keep out of range [0, ", leads * patches, ")");
  const auto b = ids_keep.size(0);
  PatchMask m;
  m.ids_keep = ids_keep;
  auto mask = torch::ones({b, leads * patches}, ids_keep.options().dtype(torch::kFloat32));
  m.mask = mask.scatter(1, ids_keep, 0.0).view({b, leads, patches});
  return m;
}

}  // namespace cgdmer
