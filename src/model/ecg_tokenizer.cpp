// Implements ecg_tokenizer.h.
#include "model/ecg_tokenizer.h"

#include <algorithm>

#include "model/losses.h"
#include "model/sincos_embedding.h"

namespace cgdmer {

std::vector<int> tokenizer_kernel_layout(int patch_size) {
  TORCH_CHECK(patch_size >= 1, "patch_size must be >= 1");
  std::vector<int> f;
  int n = patch_size;
  for (int p = 2; p * p <= n; ++p)
    while (n % p == 0) f.push_back(p), n /= p;
  if (n > 1) f.push_back(n);
  if (f.empty()) f.push_back(1);
  std::sort(f.begin(), f.end());  // ascending: merge from the front
  while (f.size() > 4) {
    f[1] *= f[0];
    f.erase(f.begin());
    std::sort(f.begin(), f.end());
  }
  std::reverse(f.begin(), f.end());  // largest kernel first: fine positions stay longest
  return f;
}

EcgTokenizerImpl::EcgTokenizerImpl(const EcgTokenizerOptions& o) : opt_(o) {
  TORCH_CHECK(o.n_samples() % o.patch_size() == 0, "n_samples ", o.n_samples(),
              " is not a multiple of patch_size ", o.patch_size());
  const auto kernels = tokenizer_kernel_layout(o.patch_size());
  convs_ = register_module("convs", torch::nn::ModuleList());
  int in = 1;
  for (int k : kernels) {
    auto conv = torch::nn::Conv1d(torch::nn::Conv1dOptions(in, o.channels(), k).stride(k).bias(false));
    torch::nn::init::kaiming_normal_(conv->weight);
    convs_->push_back(conv);
    in = o.channels();
  }
  use_norm_ = o.patch_size() / kernels[0] > 1;
  if (use_norm_)
    norm_ = register_module("norm", torch::nn::GroupNorm(o.channels(), o.channels()));
  TORCH_CHECK(o.norm() == "patch" || o.norm() == "post" || o.norm() == "stats",
              "unknown tokenizer norm '", o.norm(), "' (patch | post | stats)");
  proj_ = register_module("proj", torch::nn::Linear(o.channels(), o.width()));
  if (o.norm() == "stats") {
    // Zero init: at step 0 "stats" is exactly "patch", and the amplitude enters only as fast as
    // the losses ask for it. With the default init the two statistics dominated the tokens:
    // pooled features of effective rank 10 with one direction holding 49 % of the variance,
    // and the super-class probe fell from 82 to 65 AUC (docs/experiments.md, E1).
    stats_ = register_module("stats", torch::nn::Linear(2, o.width()));
    torch::NoGradGuard ng;
    stats_->weight.zero_();
    stats_->bias.zero_();
  }
  lead_embed_ = register_parameter("lead_embed", torch::randn({o.n_leads(), o.width()}) * 0.02);
  const int p = patches_per_lead();
  if (o.temporal() == "learned")
    temporal_embed_ = register_parameter("temporal_embed", torch::randn({p, o.width()}) * 0.02);
  else if (o.temporal() == "sincos")
    temporal_embed_ = register_buffer("temporal_embed", sincos_embedding_1d(p, o.width()));
  else
    TORCH_CHECK(false, "unknown temporal embedding '", o.temporal(), "'");
}

void EcgTokenizerImpl::check_input(const torch::Tensor& ecg) const {
  TORCH_CHECK(ecg.dim() == 3 && ecg.size(1) == opt_.n_leads() && ecg.size(2) == opt_.n_samples(),
              "ECG tokenizer expects (B, ", opt_.n_leads(), ", ", opt_.n_samples(), "), got ",
              ecg.sizes());
}

torch::Tensor EcgTokenizerImpl::embed_patches(const torch::Tensor& patches) {
  LossPrecisionGuard fp32;  // no autocast: oneDNN's bf16 conv backward took 7.7 s/step here (bench/README.md)
  auto x = patches.reshape({patches.size(0), 1, opt_.patch_size()});  // one patch per row
  const bool post = opt_.norm() == "post";
  for (size_t i = 0; i < convs_->size(); ++i) {
    x = convs_[i]->as<torch::nn::Conv1d>()->forward(x);    // (R, C, patch / Πk)
    // GroupNorm in fp32: 1.13's CPU kernel rejects a bf16 input with fp32 affine weights.
    if (i == 0 && use_norm_ && !post) x = norm_(x.to(torch::kFloat32));
    x = torch::gelu(x);
    if (i == 0 && use_norm_ && post) x = norm_(x.to(torch::kFloat32));
  }
  auto t = proj_(x.reshape({patches.size(0), opt_.channels()}));  // (R, D)
  if (stats_) {
    auto p = patches.to(torch::kFloat32);
    auto mean = p.mean(-1, /*keepdim=*/true);
    auto sd = (p - mean).pow(2).mean(-1, /*keepdim=*/true).sqrt();  // population std
    t = t + stats_(torch::cat({10.0 * (mean - 0.5), 10.0 * sd}, -1));
  }
  return t;
}

torch::Tensor EcgTokenizerImpl::patch_tokens(const torch::Tensor& ecg) {
  check_input(ecg);
  const auto b = ecg.size(0);
  const int l = opt_.n_leads(), p = patches_per_lead();
  return embed_patches(ecg.reshape({b * l * p, opt_.patch_size()})).reshape({b, l, p, -1});
}

torch::Tensor EcgTokenizerImpl::forward(const torch::Tensor& ecg) {
  auto t = patch_tokens(ecg);                                // (B, L, P, D)
  t = t + lead_embed_.unsqueeze(1) + temporal_embed_.unsqueeze(0);  // + spa_l + temp_p
  return t.flatten(1, 2);                                    // (B, N, D), n = l·P + p
}

torch::Tensor EcgTokenizerImpl::forward_visible(const torch::Tensor& ecg,
                                                const torch::Tensor& ids_keep) {
  check_input(ecg);
  TORCH_CHECK(ids_keep.dim() == 2 && ids_keep.size(0) == ecg.size(0),
              "forward_visible: ids_keep must be (B, M), got ", ids_keep.sizes());
  const int64_t b = ecg.size(0), m = ids_keep.size(1), ps = opt_.patch_size();
  const int l = opt_.n_leads(), p = patches_per_lead();
  auto patches = ecg.reshape({b, int64_t(l) * p, ps})
                     .gather(1, ids_keep.unsqueeze(-1).expand({b, m, ps}));  // (B, M, patch)
  auto t = embed_patches(patches.reshape({b * m, ps})).reshape({b, m, -1});  // (B, M, D)
  auto pos = (lead_embed_.unsqueeze(1) + temporal_embed_.unsqueeze(0)).reshape({int64_t(l) * p, -1});
  return t + pos.index_select(0, ids_keep.reshape({-1})).reshape({b, m, -1});
}

}  // namespace cgdmer
