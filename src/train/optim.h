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

// Scales gradients so their global L2 norm is at most max_norm (max_norm <= 0: no clipping).
// Returns the norm before clipping (non-finite when some gradient is).
double clip_gradients(const std::vector<torch::Tensor>& params, double max_norm);

}  // namespace cgdmer
