// Optimisation pieces of pretraining: AdamW with two parameter groups (weight decay off for
// norms, biases, embeddings and scalars), the learning-rate schedule (linear warm-up then
// cosine annealing to min_lr, a pure function of the step), and gradient-norm clipping.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace cgdmer {

// Linear warm-up from base/warmup to base over `warmup` steps, then cosine from base to
// min_lr at step `total` (and min_lr after). Steps are 0-based optimizer steps.
struct LrSchedule {
  double base_lr = 2e-4;
  double min_lr = 0.0;
  std::int64_t warmup = 0;
  std::int64_t total = 1;
  double at(std::int64_t step) const;
};

// Decay rule (by name and shape, so it holds for every module of the model):
//   no decay when the tensor has < 2 dims (biases, LayerNorm/BatchNorm weights, scalars such
//   as the SigLIP temperature/bias), or when its name contains "norm", "embed", "pos_",
//   "cls_token", "mask_token" or "sentinel" (embedding tables and learned tokens);
//   decay for every other weight matrix / conv kernel.
bool uses_weight_decay(const std::string& name, const torch::Tensor& p);

struct ParamGroupSplit {
  std::vector<std::string> decay_names, no_decay_names;
  std::int64_t decay_numel = 0, no_decay_numel = 0;
};

// AdamW(betas 0.9/0.999, eps 1e-8) over the trainable parameters of `module`: group 0 with
// weight_decay, group 1 without. The parameter order is the module's named_parameters()
// order, which makes optimizer state files stable across runs.
std::unique_ptr<torch::optim::AdamW> make_adamw(torch::nn::Module& module, double lr,
                                                double weight_decay,
                                                ParamGroupSplit* split = nullptr);

void set_learning_rate(torch::optim::Optimizer& opt, double lr);

// The global L2 norm of the gradients (fp32 per tensor, fp64 total, as torch's
// clip_grad_norm_) and the factor that brings it down to max_norm: scale = 1 when the norm is
// within max_norm, when max_norm <= 0 (clipping off) or when the norm is not finite.
struct GradClip {
  double norm = 0.0;
  double scale = 1.0;
};
GradClip gradient_clip(const std::vector<torch::Tensor>& params, double max_norm);

// Drops every gradient (set to undefined, torch's set_to_none): backward then writes fresh
// gradients instead of adding into zero-filled ones, which saves a pass over all of them.
void drop_gradients(const std::vector<torch::Tensor>& params);

// Which implementation of the AdamW update runs:
//   automatic    CUDA tensors → torch_fused where the build has it; contiguous fp32 CPU
//                tensors → hand; anything else → the formula as torch ops
//   hand         this project's one-pass CPU kernel (train/adamw_kernel.h)
//   torch_fused  torch's multi-tensor at::_fused_adamw_ (LibTorch ≥ 2.4 on CPU, 2.x on
//                CUDA): one launch per group instead of ~8 kernels per tensor. On a build
//                without it, asking for it is an std::invalid_argument.
enum class AdamWKernel { automatic, hand, torch_fused };
bool torch_fused_adamw_available(const torch::Device& device);

// One AdamW step, the formula of torch::optim::AdamW::step() in LibTorch 1.13 (decoupled
// decay p·(1 − lr·wd), bias-corrected moments, eps added after the bias-corrected sqrt) on the
// optimizer's own state (same keys and tensors, so checkpoints and resumption are unchanged),
// applied to grad·grad_scale (the clip factor). For contiguous fp32 CPU tensors the update
// is one fused, threaded pass over p, g, m, v (torch runs ~9 separate element-wise passes;
// AdamW was 0.8 s of the paper model's 5 s bf16 step, bench/README.md); on CUDA it is torch's
// fused multi-tensor kernel. amsgrad is not supported.
void adamw_step(torch::optim::AdamW& opt, double grad_scale = 1.0,
                AdamWKernel kernel = AdamWKernel::automatic);

}  // namespace cgdmer
