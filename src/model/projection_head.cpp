// Implements projection_head.h.
#include "model/projection_head.h"

namespace cgdmer {

ProjectionHeadImpl::ProjectionHeadImpl(int in, int hidden, int out) {
  fc1_ = register_module("fc1", torch::nn::Linear(in, hidden));
  fc2_ = register_module("fc2", torch::nn::Linear(hidden, out));
}

torch::Tensor ProjectionHeadImpl::forward(const torch::Tensor& x) {
  return fc2_(torch::gelu(fc1_(x)));
}

}  // namespace cgdmer
