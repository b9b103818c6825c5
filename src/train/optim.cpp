// AdamW groups, warm-up + cosine schedule and gradient clipping (see optim.h).
#include "train/optim.h"

#include "model/compat.h"
#include "train/adamw_kernel.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

#include <ATen/Parallel.h>
#include <torch/version.h>

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

bool torch_fused_adamw_available(const torch::Device& device) {
#if CGDMER_TORCH_FUSED_ADAMW_CPU
  return device.is_cpu() || device.is_cuda();
#elif CGDMER_TORCH_2
  return device.is_cuda();
#else
  (void)device;
  return false;
#endif
}

namespace {

// One parameter's tensors and its step count after this update.
struct AdamWItem {
  torch::Tensor p, g, m, v;
  std::int64_t step;
};

struct AdamWGroupScalars {
  double lr, wd, eps, beta1, beta2;
};

AdamWKernel kernel_for(const AdamWItem& it, AdamWKernel asked) {
  if (asked != AdamWKernel::automatic) return asked;
  if (it.p.device().is_cuda() && torch_fused_adamw_available(it.p.device()))
    return AdamWKernel::torch_fused;
  const bool hand_ok = it.p.device().is_cpu() && it.p.scalar_type() == torch::kFloat &&
                       it.g.scalar_type() == torch::kFloat && it.p.is_contiguous() &&
                       it.g.is_contiguous() && it.m.is_contiguous() && it.v.is_contiguous();
  return hand_ok ? AdamWKernel::hand : AdamWKernel::automatic;  // automatic: torch ops
}

void hand_update(const AdamWItem& it, const AdamWGroupScalars& c, double grad_scale) {
  if (!it.p.device().is_cpu() || it.p.scalar_type() != torch::kFloat || !it.p.is_contiguous() ||
      it.g.scalar_type() != torch::kFloat || !it.g.is_contiguous())
    throw std::invalid_argument("adamw_step: the hand kernel takes contiguous fp32 CPU tensors");
  const double bc1 = 1.0 - std::pow(c.beta1, double(it.step));
  const double bc2 = 1.0 - std::pow(c.beta2, double(it.step));
  // Scalars rounded to float from double, as torch passes doubles (1 − β included) to its
  // float kernels; the bias-correction divide is torch's x · (1/scalar).
  AdamWScalars s;
  s.decay_keep = float(1.0 - c.lr * c.wd);
  s.grad_scale = float(grad_scale);
  s.beta1 = float(c.beta1), s.one_minus_beta1 = float(1.0 - c.beta1);
  s.beta2 = float(c.beta2), s.one_minus_beta2 = float(1.0 - c.beta2);
  s.inv_sqrt_bias_correction2 = 1.0f / float(std::sqrt(bc2));
  s.eps = float(c.eps);
  s.neg_step_size = float(-c.lr / bc1);
  float* pp = it.p.data_ptr<float>();
  const float* gp = it.g.data_ptr<float>();
  float* mp = it.m.data_ptr<float>();
  float* vp = it.v.data_ptr<float>();
  at::parallel_for(0, it.p.numel(), 1 << 15, [&](std::int64_t a, std::int64_t b) {
    adamw_update(pp + a, gp + a, mp + a, vp + a, b - a, s);
  });
}

void torch_ops_update(const AdamWItem& it, const AdamWGroupScalars& c, double grad_scale) {
  const double bc1 = 1.0 - std::pow(c.beta1, double(it.step));
  const double bc2 = 1.0 - std::pow(c.beta2, double(it.step));
  torch::Tensor g = grad_scale != 1.0 ? it.g * grad_scale : it.g;
  if (c.wd != 0) it.p.mul_(1 - c.lr * c.wd);
  it.m.mul_(c.beta1).add_(g, 1 - c.beta1);
  it.v.mul_(c.beta2).addcmul_(g, g, 1 - c.beta2);
  auto denom = (it.v.sqrt() / std::sqrt(bc2)).add_(c.eps);
  it.p.addcdiv_(it.m, denom, -c.lr / bc1);
}

// torch's fused multi-tensor AdamW over items of one device, one call per distinct step
// count (normally one). Its grad_scale divides the gradients (AMP's convention), so the clip
// factor goes in as its inverse. The step and scale tensors are filled on the device: no
// host-to-device copy, no sync.
void torch_fused_update(const std::vector<const AdamWItem*>& items, const AdamWGroupScalars& c,
                        double grad_scale) {
  if (items.empty()) return;
  const torch::Device dev = items.front()->p.device();
  if (!torch_fused_adamw_available(dev))
    throw std::invalid_argument(std::string("adamw_step: torch's fused AdamW needs LibTorch ") +
                                (dev.is_cuda() ? "2.x" : "2.4 or later on the CPU") +
                                "; this build has " + TORCH_VERSION);
#if CGDMER_TORCH_2
  std::map<std::int64_t, std::vector<const AdamWItem*>> by_step;
  for (const auto* it : items) by_step[it->step].push_back(it);
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat).device(dev);
  std::optional<at::Tensor> inv_scale;
  if (grad_scale != 1.0) inv_scale = torch::full({}, 1.0 / grad_scale, f32);
  for (const auto& [step, list] : by_step) {
    std::vector<at::Tensor> ps, gs, ms, vs, steps;
    const auto step_t = torch::full({}, double(step), f32);
    for (const auto* it : list) {
      ps.push_back(it->p), gs.push_back(it->g), ms.push_back(it->m), vs.push_back(it->v);
      steps.push_back(step_t);
    }
    at::_fused_adamw_(ps, gs, ms, vs, {}, steps, c.lr, c.beta1, c.beta2, c.wd, c.eps,
                      /*amsgrad=*/false, /*maximize=*/false, inv_scale, std::nullopt);
  }
#else
  (void)c, (void)grad_scale;
#endif
}

}  // namespace

void adamw_step(torch::optim::AdamW& opt, double grad_scale, AdamWKernel kernel) {
  torch::NoGradGuard ng;
  auto& state = opt.state();
  for (auto& group : opt.param_groups()) {
    auto& o = static_cast<torch::optim::AdamWOptions&>(group.options());
    if (o.amsgrad()) throw std::invalid_argument("adamw_step: amsgrad is not supported");
    const AdamWGroupScalars c{o.lr(), o.weight_decay(), o.eps(), std::get<0>(o.betas()),
                              std::get<1>(o.betas())};
    std::vector<AdamWItem> items;
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
      items.push_back({p, p.grad(), st.exp_avg(), st.exp_avg_sq(), st.step()});
    }
    std::vector<std::pair<torch::Device, std::vector<const AdamWItem*>>> fused;  // by device
    for (const auto& it : items) {
      switch (kernel_for(it, kernel)) {
        case AdamWKernel::hand: hand_update(it, c, grad_scale); break;
        case AdamWKernel::automatic: torch_ops_update(it, c, grad_scale); break;
        case AdamWKernel::torch_fused: {
          auto d = std::find_if(fused.begin(), fused.end(),
                                [&](const auto& kv) { return kv.first == it.p.device(); });
          if (d == fused.end()) d = fused.insert(fused.end(), {it.p.device(), {}});
          d->second.push_back(&it);
          break;
        }
      }
    }
    for (const auto& kv : fused) torch_fused_update(kv.second, c, grad_scale);
  }
}

}  // namespace cgdmer
