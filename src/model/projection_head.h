// Disentangling head f_sp / f_sh (paper Eq. 4): Linear → GELU → Linear (MERL's proj_t
// shape). Parameter names: fc1, fc2. (B, in) → (B, out).
#pragma once

#include <torch/torch.h>

namespace cgdmer {

class ProjectionHeadImpl : public torch::nn::Module {
 public:
  ProjectionHeadImpl(int in, int hidden, int out);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(ProjectionHead);

}  // namespace cgdmer
