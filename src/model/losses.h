// The CG-DMER loss terms as free functions (paper §2, Eqs. 2, 5–9). Every function casts
// its inputs to float32 and is meant to run inside a LossPrecisionGuard, so the losses are
// computed in fp32 even when the network ran under bf16 autocast.
// Shapes: B batch, E head dim, L leads, P patches per lead.
#pragma once

#include <torch/torch.h>

namespace cgdmer {

// Turns CPU and CUDA autocast off for its lifetime (restoring the previous state).
class LossPrecisionGuard {
 public:
  LossPrecisionGuard();
  ~LossPrecisionGuard();
  LossPrecisionGuard(const LossPrecisionGuard&) = delete;
  LossPrecisionGuard& operator=(const LossPrecisionGuard&) = delete;

 private:
  bool cpu_, gpu_;
};

// Eq. 2: mean over the masked patches of the per-patch mean squared error (MAE convention;
// Eq. 2's ||·||² is this times patch_size). Equal masked counts per sample make the global
// mean equal to Eq. 2's per-sample average. norm_target: each target patch normalised by
// its own mean and (unbiased) variance, eps 1e-6 (MAE/ST-MEM norm_pix_loss).
// pred, target (B, L, P, patch); mask (B, L, P) 1 = masked.
torch::Tensor ecg_reconstruction_loss(const torch::Tensor& pred, const torch::Tensor& target,
                                      const torch::Tensor& mask, bool norm_target);

// One modality's part of Eq. 5: mean over the batch of cos²(h_sp, h_sh) (cosine eps 1e-8).
// L_orth = orthogonality_loss(ecg) + orthogonality_loss(text). h_sp, h_sh (B, E).
torch::Tensor orthogonality_loss(const torch::Tensor& h_sp, const torch::Tensor& h_sh);

// Eq. 6 (SigLIP): logits = scale·(z_e z_tᵀ) + bias, labels 2I − 1,
// loss = −(1/B) Σ_ij log σ(label_ij · logit_ij). Learnable variant: z = L2-normalised h,
// scale = exp(log_scale) (SigLIP init log 10), bias (init −10). Fixed (C-MELT): pass
// undefined log_scale and bias and normalize = false → scale 1, no bias, raw h.
// h_ecg, h_text (B, E); log_scale, bias 0-dim or undefined.
// same (B, B) bool, optional: pairs whose reports are identical; they are labelled +1
// (label-aware targets, loss.cons_targets = "report"). Undefined → 2I − 1.
torch::Tensor siglip_loss(const torch::Tensor& h_ecg, const torch::Tensor& h_text,
                          const torch::Tensor& log_scale, const torch::Tensor& bias,
                          bool normalize, const torch::Tensor& same = {});

// Eqs. 7–9 as CLIP InfoNCE (SPEC §1): s = z_e z_tᵀ / τ on L2-normalised h; cross-entropy
// with the diagonal as target, positive included in the denominator, averaged over the
// ECG→text and text→ECG directions. h_ecg, h_text (B, E).
// same (B, B) bool, optional (label-aware targets): row i's target is spread uniformly
// over the columns j with same(i, j) (identical reports), i.e. soft cross-entropy with
// target same / same.sum(row); the diagonal must be true. Undefined → the diagonal (CLIP).
// With no duplicate in the batch both give the same loss.
torch::Tensor clip_loss(const torch::Tensor& h_ecg, const torch::Tensor& h_text,
                        double temperature, const torch::Tensor& same = {});

// One key per row identifying the report's original token ids (before span masking), so that
// identical reports get equal keys: text_ids (B, T) with spans replaced by sentinels ids
// [V, V + n_sentinels), dec_target (B, U) "<s0> span0 <s1> span1 ... <eos>" (−100 padding) or
// undefined when the text is not masked; mask (B, T) 1 = real token. mlm_labels (B, T),
// optional: the original id where ≥ 0 (MLM). Returns (B,) float32 keys < 2^24 (exact in fp32,
// so they can travel through the same all-gather as the features).
torch::Tensor report_keys(const torch::Tensor& text_ids, const torch::Tensor& text_mask,
                          const torch::Tensor& dec_target, const torch::Tensor& mlm_labels,
                          int base_vocab);

}  // namespace cgdmer
