// AdamW groups, warm-up + cosine schedule and gradient clipping (see optim.h).
#include "train/optim.h"

#include "model/compat.h"
#include "train/adamw_kernel.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include <ATen/Parallel.h>

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

GradClip gradient_clip(const std::vector<torch::Tensor>& params, double max_norm) {
  torch::NoGradGuard ng;
  std::vector<torch::Tensor> norms;
  for (const auto& p : params)
    // Per-tensor norm in the gradient's own dtype (fp32), summed in fp64: copying every
    // gradient to fp64 first cost ~0.6 s/step on `paper` (bench/README.md).
    if (p.grad().defined()) norms.push_back(p.grad().detach().norm().to(torch::kFloat64));
  GradClip c;
  if (norms.empty()) return c;
  c.norm = torch::stack(norms).norm().item<double>();
  if (max_norm > 0 && std::isfinite(c.norm) && c.norm > max_norm)
    c.scale = max_norm / (c.norm + 1e-6);
  return c;
}

void drop_gradients(const std::vector<torch::Tensor>& params) {
  for (const auto& p : params)
    if (p.grad().defined()) p.mutable_grad() = torch::Tensor();
}

void adamw_step(torch::optim::AdamW& opt, double grad_scale) {
  torch::NoGradGuard ng;
  auto& state = opt.state();
  for (auto& group : opt.param_groups()) {
    auto& o = static_cast<torch::optim::AdamWOptions&>(group.options());
    if (o.amsgrad()) throw std::invalid_argument("adamw_step: amsgrad is not supported");
    const double lr = o.lr(), wd = o.weight_decay(), eps = o.eps();
    const double beta1 = std::get<0>(o.betas()), beta2 = std::get<1>(o.betas());
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      // The state key torch's AdamW uses, so torch::optim and this step share moments.
      const auto key = optimizer_state_key(p);
      auto it = state.find(key);
      if (it == state.end()) {
        auto st = std::make_unique<torch::optim::AdamWParamState>();
        st->step(0);
        st->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        st->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        it = state.emplace(key, std::move(st)).first;
      }
      auto& st = static_cast<torch::optim::AdamWParamState&>(*it->second);
      st.step(st.step() + 1);
      const double bc1 = 1.0 - std::pow(beta1, double(st.step()));
      const double bc2 = 1.0 - std::pow(beta2, double(st.step()));
      const double step_size = lr / bc1;
      torch::Tensor g = p.grad();
      torch::Tensor m = st.exp_avg(), v = st.exp_avg_sq();
      const bool fused = p.device().is_cpu() && p.scalar_type() == torch::kFloat &&
                         g.scalar_type() == torch::kFloat && p.is_contiguous() &&
                         g.is_contiguous() && m.is_contiguous() && v.is_contiguous();
      if (fused) {
        float* pp = p.data_ptr<float>();
        const float* gp = g.data_ptr<float>();
        float* mp = m.data_ptr<float>();
        float* vp = v.data_ptr<float>();
        // Scalars rounded to float from double, as torch passes doubles (1 − β included)
        // to its float kernels; the bias-correction divide is torch's x · (1/scalar).
        AdamWScalars s;
        s.decay_keep = float(1.0 - lr * wd);
        s.grad_scale = float(grad_scale);
        s.beta1 = float(beta1), s.one_minus_beta1 = float(1.0 - beta1);
        s.beta2 = float(beta2), s.one_minus_beta2 = float(1.0 - beta2);
        s.inv_sqrt_bias_correction2 = 1.0f / float(std::sqrt(bc2));
        s.eps = float(eps);
        s.neg_step_size = float(-step_size);
        at::parallel_for(0, p.numel(), 1 << 15, [&](std::int64_t a, std::int64_t b) {
          adamw_update(pp + a, gp + a, mp + a, vp + a, b - a, s);
        });
      } else {
        if (grad_scale != 1.0) g = g * grad_scale;
        if (wd != 0) p.mul_(1 - lr * wd);
        m.mul_(beta1).add_(g, 1 - beta1);
        v.mul_(beta2).addcmul_(g, g, 1 - beta2);
        auto denom = (v.sqrt() / std::sqrt(bc2)).add_(eps);
        p.addcdiv_(m, denom, -step_size);
      }
    }
  }
}

}  // namespace cgdmer
