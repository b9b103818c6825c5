// AdamW's per-parameter state (step, exp_avg, exp_avg_sq) in a checkpoint, in a layout that
// neither the LibTorch version nor the training device changes.
//
// Why not torch's own Optimizer::save: it files each parameter's state under the address of
// its TensorImpl, written as a string (LibTorch 1.x keys the state map by that string, 2.x by
// the pointer), and it writes the moments on whatever device they live, so a GPU run's
// checkpoint would hold CUDA tensors. Here state is filed by position instead — group g,
// parameter i of that group — and always as CPU tensors:
//   "adamw/groups"                     int, number of parameter groups
//   "adamw/g<g>/size"                  int, parameters in group g
//   "adamw/g<g>/p<i>/step"             int, AdamW steps taken (absent: no state yet)
//   "adamw/g<g>/p<i>/exp_avg"          float tensor, CPU, the parameter's shape
//   "adamw/g<g>/p<i>/exp_avg_sq"       float tensor, CPU
//   "adamw/g<g>/p<i>/max_exp_avg_sq"   only with amsgrad
// Group options (lr, betas, decay) are not stored: they come from the config, and the LR
// schedule sets lr on every step.
//
// Checkpoints written before this layout hold torch's archive ("optim"); read_torch_adamw_state
// reads the one LibTorch 1.13 wrote (pointer-string keys matched to parameters by position,
// as torch's own loader does) on either line.
#pragma once

#include <string>

#include <torch/torch.h>

namespace cgdmer {

void write_adamw_state(torch::serialize::OutputArchive& ar, const torch::optim::Optimizer& opt);

// Fills opt's state (on the CPU; the caller moves it to the training device). Throws
// FormatError naming `path` when the groups or parameter shapes differ from opt's.
void read_adamw_state(torch::serialize::InputArchive& ar, torch::optim::Optimizer& opt,
                      const std::string& path);

// torch's Optimizer::save archive of an AdamW (the checkpoint's "optim" entry, format written
// by cgdmer on LibTorch 1.13). Same guarantees as read_adamw_state.
void read_torch_adamw_state(torch::serialize::InputArchive& ar, torch::optim::Optimizer& opt,
                            const std::string& path);

}  // namespace cgdmer
