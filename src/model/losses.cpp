// Implements losses.h.
#include "model/losses.h"

#include <cstdint>

#include "model/compat.h"

namespace cgdmer {

LossPrecisionGuard::LossPrecisionGuard()
    : cpu_(autocast_enabled(c10::DeviceType::CPU)), gpu_(autocast_enabled(c10::DeviceType::CUDA)) {
  set_autocast_enabled(c10::DeviceType::CPU, false);
  set_autocast_enabled(c10::DeviceType::CUDA, false);
}

LossPrecisionGuard::~LossPrecisionGuard() {
  set_autocast_enabled(c10::DeviceType::CPU, cpu_);
  set_autocast_enabled(c10::DeviceType::CUDA, gpu_);
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
                          bool normalize, const torch::Tensor& same) {
  auto ze = h_ecg.to(torch::kFloat32), zt = h_text.to(torch::kFloat32);
  if (normalize) {
    ze = torch::nn::functional::normalize(ze, torch::nn::functional::NormalizeFuncOptions().dim(1));
    zt = torch::nn::functional::normalize(zt, torch::nn::functional::NormalizeFuncOptions().dim(1));
  }
  auto logits = torch::matmul(ze, zt.t());  // (B, B)
  if (log_scale.defined()) logits = logits * log_scale.to(torch::kFloat32).exp();
  if (bias.defined()) logits = logits + bias.to(torch::kFloat32);
  const auto b = logits.size(0);
  auto labels = same.defined() ? 2 * same.to(logits.options()) - 1
                               : 2 * torch::eye(b, logits.options()) - 1;  // +1 on the diagonal, −1 elsewhere
  return -torch::log_sigmoid(labels * logits).sum() / double(b);
}

torch::Tensor clip_loss(const torch::Tensor& h_ecg, const torch::Tensor& h_text,
                        double temperature, const torch::Tensor& same) {
  namespace F = torch::nn::functional;
  auto ze = F::normalize(h_ecg.to(torch::kFloat32), F::NormalizeFuncOptions().dim(1));
  auto zt = F::normalize(h_text.to(torch::kFloat32), F::NormalizeFuncOptions().dim(1));
  auto logits = torch::matmul(ze, zt.t()) / temperature;  // (B, B): row = ECG, column = text
  if (same.defined()) {
    auto t = same.to(logits.options());
    auto soft = [](const torch::Tensor& lg, const torch::Tensor& tg) {
      return -(tg / tg.sum(1, true) * torch::log_softmax(lg, 1)).sum(1).mean();
    };
    return 0.5 * (soft(logits, t) + soft(logits.t(), t.t()));
  }
  auto target = torch::arange(logits.size(0), torch::TensorOptions().dtype(torch::kInt64).device(logits.device()));
  return 0.5 * (F::cross_entropy(logits, target) + F::cross_entropy(logits.t(), target));
}

torch::Tensor report_keys(const torch::Tensor& text_ids, const torch::Tensor& text_mask,
                          const torch::Tensor& dec_target, const torch::Tensor& mlm_labels,
                          int base_vocab) {
  auto ids = text_ids.to(torch::kCPU, torch::kInt64).contiguous();
  auto msk = text_mask.to(torch::kCPU, torch::kInt64).contiguous();
  const bool has_dec = dec_target.defined();
  const bool has_mlm = mlm_labels.defined();
  torch::Tensor dec = has_dec ? dec_target.to(torch::kCPU, torch::kInt64).contiguous() : torch::Tensor();
  torch::Tensor mlm = has_mlm ? mlm_labels.to(torch::kCPU, torch::kInt64).contiguous() : torch::Tensor();
  const int64_t b = ids.size(0), t = ids.size(1);
  auto keys = torch::zeros({b}, torch::kFloat32);
  auto ia = ids.accessor<int64_t, 2>();
  auto ma = msk.accessor<int64_t, 2>();
  for (int64_t r = 0; r < b; ++r) {
    std::uint64_t h = 1469598103934665603ULL;  // FNV-1a over the original ids
    auto mix = [&](int64_t v) {
      for (int k = 0; k < 4; ++k) { h ^= std::uint64_t((v >> (8 * k)) & 0xff); h *= 1099511628211ULL; }
    };
    for (int64_t c = 0; c < t; ++c) {
      if (!ma[r][c]) continue;
      const int64_t id = ia[r][c];
      if (has_dec && id >= base_vocab) {  // sentinel k: emit span k from the decoder target
        auto da = dec.accessor<int64_t, 2>();
        const int64_t u = dec.size(1);
        int64_t j = 0;
        while (j < u && da[r][j] != id) ++j;
        for (++j; j < u && da[r][j] >= 0 && da[r][j] < base_vocab; ++j) mix(da[r][j]);
        continue;
      }
      if (has_mlm) {
        const int64_t lab = mlm.accessor<int64_t, 2>()[r][c];
        if (lab >= 0) { mix(lab); continue; }
      }
      mix(id);
    }
    keys[r] = float(h % 16777213ULL);  // < 2^24: exact in float32
  }
  return keys.to(text_ids.device());
}

}  // namespace cgdmer
