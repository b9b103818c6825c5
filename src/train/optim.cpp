// AdamW groups, warm-up + cosine schedule and gradient clipping (see optim.h).
#include "train/optim.h"

#include <cmath>

namespace cgdmer {

double LrSchedule::at(std::int64_t step) const {
  if (step < 0) step = 0;
  if (warmup > 0 && step < warmup) return base_lr * double(step + 1) / double(warmup);
  const std::int64_t span = std::max<std::int64_t>(1, total - warmup);
  const double progress = std::min(1.0, double(step - warmup) / double(span));
  return min_lr + 0.5 * (base_lr - min_lr) * (1.0 + std::cos(M_PI * progress));
}

bool uses_weight_decay(const std::string& name, const torch::Tensor& p) {
  if (p.dim() < 2) return false;
  for (const char* key : {"norm", "embed", "pos_", "cls_token", "mask_token", "sentinel"})
    if (name.find(key) != std::string::npos) return false;
  return true;
}

std::unique_ptr<torch::optim::AdamW> make_adamw(torch::nn::Module& module, double lr,
                                                double weight_decay, ParamGroupSplit* split) {
  std::vector<torch::Tensor> decay, no_decay;
  ParamGroupSplit s;
  for (const auto& kv : module.named_parameters()) {
    if (!kv.value().requires_grad()) continue;
    if (uses_weight_decay(kv.key(), kv.value())) {
      decay.push_back(kv.value());
      s.decay_names.push_back(kv.key());
      s.decay_numel += kv.value().numel();
    } else {
      no_decay.push_back(kv.value());
      s.no_decay_names.push_back(kv.key());
      s.no_decay_numel += kv.value().numel();
    }
  }
  if (split) *split = s;
  using torch::optim::AdamWOptions;
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<AdamWOptions>(
                                 AdamWOptions(lr).betas({0.9, 0.999}).eps(1e-8).weight_decay(
                                     weight_decay)));
  groups.emplace_back(no_decay, std::make_unique<AdamWOptions>(
                                    AdamWOptions(lr).betas({0.9, 0.999}).eps(1e-8).weight_decay(
                                        0.0)));
  return std::make_unique<torch::optim::AdamW>(
      std::move(groups), AdamWOptions(lr).weight_decay(weight_decay));
}

void set_learning_rate(torch::optim::Optimizer& opt, double lr) {
  for (auto& g : opt.param_groups())
    static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
}

double clip_gradients(const std::vector<torch::Tensor>& params, double max_norm) {
  torch::NoGradGuard ng;
  std::vector<torch::Tensor> norms;
  for (const auto& p : params)
    // Per-tensor norm in the gradient's own dtype (fp32), summed in fp64: copying every
    // gradient to fp64 first cost ~0.6 s/step on `paper` (bench/README.md).
    if (p.grad().defined()) norms.push_back(p.grad().detach().norm().to(torch::kFloat64));
  if (norms.empty()) return 0.0;
  const double total = torch::stack(norms).norm().item<double>();
  if (max_norm > 0 && std::isfinite(total) && total > max_norm) {
    const double scale = max_norm / (total + 1e-6);
    for (const auto& p : params)
      if (p.grad().defined()) p.mutable_grad().mul_(scale);
  }
  return total;
}

}  // namespace cgdmer
