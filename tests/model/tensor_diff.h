// Test helper of the model tests: the largest absolute elementwise difference of two tensors,
// taken in float64 so that the comparison adds no rounding of its own (a float32 difference
// of two float32 values can round; in float64 it is exact).
#pragma once

#include <torch/torch.h>

namespace cgdmer::testing {

inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

}  // namespace cgdmer::testing
