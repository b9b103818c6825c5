// Spatial–temporal ECG tokenizer (paper Eq. 1): every lead is cut into P patches of
// patch_size samples; each patch, alone, goes through a Conv1d stack whose kernels equal
// their strides and multiply to patch_size (so the last layer leaves one position), then
// Linear to D. Token (l, p) = W·patch(l, p) + spa_l + temp_p, with learned lead embeddings
// spa (L, D) and temporal embeddings temp (P, D) shared by all leads (fixed sin–cos, or
// learned). Tokens are ordered lead-major: n = l·P + p.
//
// Conv stack (C-MELT's ConvFeatureExtraction made per patch): layer i is
//   Conv1d(in_i → C, kernel k_i, stride k_i, no bias) [→ GroupNorm(C, C) on layer 0 only] → GELU
// with k = tokenizer_kernel_layout(patch_size), e.g. 50 → {5, 5, 2}, 25 → {5, 5},
// 20 → {5, 2, 2}, 200 → {5, 5, 4, 2}. GroupNorm(C, C) normalises each channel over the
// positions inside the patch; it is left out when layer 0 already leaves one position.
// Parameter names: convs.{i}.weight, norm.{weight,bias}, proj.{weight,bias}, lead_embed,
// temporal_embed (a parameter when learned, a buffer when sin–cos), stats.{weight,bias}.
//
// `norm` (config ecg.tokenizer_norm) chooses where the GroupNorm sits and what the token keeps:
//   "patch"  conv → GroupNorm → GELU (the original C-MELT order). Every token is exactly
//            invariant to a per-patch a·x + b (a > 0): amplitude and baseline are lost.
//   "post"   conv → GELU → GroupNorm (the paper's order). Not exactly invariant (GELU is not
//            affine), but a·x + b survives only through GELU's curvature.
//   "stats"  "patch", plus the patch's own mean and standard deviation put back:
//            token += stats·[10·(mean − 0.5), 10·std] (Linear 2 → D). The normalised shape and
//            the two numbers GroupNorm removed together determine the patch, so nothing is
//            lost; the factor 10 brings min–max-scaled values (baseline ≈ 0.5, std ≈ 0.01–0.1)
//            to order one. On a store prepared with --norm mv (0.5 + mV / 10) the two inputs
//            are exactly the patch's mean offset and sd in mV. `stats` starts at zero, so an untrained "stats" tokenizer equals
//            "patch" and learns how much amplitude to let in.
// Shapes: B batch, L leads, S samples per lead, P = S / patch_size, N = L·P, C channels, D width.
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

namespace cgdmer {

// Kernel (= stride) of each conv layer: prime factors of patch_size, largest first, the two
// smallest merged until at most 4 layers remain. Product = patch_size.
std::vector<int> tokenizer_kernel_layout(int patch_size);

struct EcgTokenizerOptions {
  TORCH_ARG(int, n_leads) = 12;
  TORCH_ARG(int, n_samples) = 5000;
  TORCH_ARG(int, patch_size) = 50;
  TORCH_ARG(int, channels) = 128;   ///< C
  TORCH_ARG(int, width) = 768;      ///< D
  TORCH_ARG(std::string, temporal) = "sincos";  ///< "sincos" | "learned"
  TORCH_ARG(std::string, norm) = "patch";       ///< "patch" | "post" | "stats" (see above)
};

class EcgTokenizerImpl : public torch::nn::Module {
 public:
  explicit EcgTokenizerImpl(const EcgTokenizerOptions& o);
  // ecg (B, L, S) → tokens (B, N, D) with lead and temporal embeddings added.
  torch::Tensor forward(const torch::Tensor& ecg);
  // ecg (B, L, S) → W·patch only, (B, L, P, D).
  torch::Tensor patch_tokens(const torch::Tensor& ecg);
  // Only the tokens the encoder will see: ecg (B, L, S), ids_keep (B, M) int64 of token
  // indices n = l·P + p → (B, M, D), equal to forward(ecg).gather(1, ids_keep) but running the
  // conv stack on M instead of N patches (a quarter at mask ratio 0.75): every patch is
  // tokenized alone, so the masked ones are never needed.
  torch::Tensor forward_visible(const torch::Tensor& ecg, const torch::Tensor& ids_keep);
  int patches_per_lead() const { return opt_.n_samples() / opt_.patch_size(); }
  const EcgTokenizerOptions& options() const { return opt_; }

 private:
  void check_input(const torch::Tensor& ecg) const;
  // patches (R, patch_size) → W·patch (R, D)
  torch::Tensor embed_patches(const torch::Tensor& patches);

  EcgTokenizerOptions opt_;
  bool use_norm_ = false;
  torch::nn::ModuleList convs_{nullptr};
  torch::nn::GroupNorm norm_{nullptr};
  torch::nn::Linear proj_{nullptr};
  torch::nn::Linear stats_{nullptr};  // "stats" only
  torch::Tensor lead_embed_, temporal_embed_;  // (L, D), (P, D)
};
TORCH_MODULE(EcgTokenizer);

}  // namespace cgdmer
