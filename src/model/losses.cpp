// Implements losses.h.
#include "model/losses.h"

#include <ATen/autocast_mode.h>

namespace cgdmer {

LossPrecisionGuard::LossPrecisionGuard()
    : cpu_(at::autocast::is_cpu_enabled()), gpu_(at::autocast::is_enabled()) {
  at::autocast::set_cpu_enabled(false);
  at::autocast::set_enabled(false);
}

LossPrecisionGuard::~LossPrecisionGuard() {
  at::autocast::set_cpu_enabled(cpu_);
  at::autocast::set_enabled(gpu_);
}

torch::Tensor ecg_reconstruction_loss(const torch::Tensor& pred, const torch::Tensor& target,
                                      const torch::Tensor& mask, bool norm_target) {
  TORCH_CHECK(pred.sizes() == target.sizes(), "prediction ", pred.sizes(), " vs target ",
              target.sizes());
  auto t = target.to(torch::kFloat32);
  if (norm_target) {
    auto mean = t.mean(-1, true);
    auto var = t.var(-1, /*unbiased=*/true, /*keepdim=*/true);
    t = (t - mean) / (var + 1e-6).sqrt();
  }
  auto per_patch = (pred.to(torch::kFloat32) - t).pow(2).mean(-1);  // (B, L, P)
  auto m = mask.to(torch::kFloat32);
  return (per_patch * m).sum() / m.sum();
}

torch::Tensor orthogonality_loss(const torch::Tensor& h_sp, const torch::Tensor& h_sh) {
  auto cos = torch::cosine_similarity(h_sp.to(torch::kFloat32), h_sh.to(torch::kFloat32), 1, 1e-8);
  return cos.pow(2).mean();
}

torch::Tensor siglip_loss(const torch::Tensor& h_ecg, const torch::Tensor& h_text,
                          const torch::Tensor& log_scale, const torch::Tensor& bias,
                          bool normalize) {
  auto ze = h_ecg.to(torch::kFloat32), zt = h_text.to(torch::kFloat32);
  if (normalize) {
    ze = torch::nn::functional::normalize(ze, torch::nn::functional::NormalizeFuncOptions().dim(1));
    zt = torch::nn::functional::normalize(zt, torch::nn::functional::NormalizeFuncOptions().dim(1));
  }
  auto logits = torch::matmul(ze, zt.t());  // (B, B)
  if (log_scale.defined()) logits = logits * log_scale.to(torch::kFloat32).exp();
  if (bias.defined()) logits = logits + bias.to(torch::kFloat32);
  const auto b = logits.size(0);
  auto labels = 2 * torch::eye(b, logits.options()) - 1;  // +1 on the diagonal, −1 elsewhere
  return -torch::log_sigmoid(labels * logits).sum() / double(b);
}

torch::Tensor clip_loss(const torch::Tensor& h_ecg, const torch::Tensor& h_text,
                        double temperature) {
  namespace F = torch::nn::functional;
  auto ze = F::normalize(h_ecg.to(torch::kFloat32), F::NormalizeFuncOptions().dim(1));
  auto zt = F::normalize(h_text.to(torch::kFloat32), F::NormalizeFuncOptions().dim(1));
  auto logits = torch::matmul(ze, zt.t()) / temperature;  // (B, B): row = ECG, column = text
  auto target = torch::arange(logits.size(0), torch::TensorOptions().dtype(torch::kInt64).device(logits.device()));
  return 0.5 * (F::cross_entropy(logits, target) + F::cross_entropy(logits.t(), target));
}

}  // namespace cgdmer
