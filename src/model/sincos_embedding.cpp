// Implements sincos_embedding.h (computed in float64, returned as float32).
#include "model/sincos_embedding.h"

namespace cgdmer {

torch::Tensor sincos_embedding_1d(int64_t n, int64_t dim) {
  TORCH_CHECK(dim % 2 == 0, "sin-cos embedding needs an even width, got ", dim);
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  auto omega = torch::arange(dim / 2, f64) / double(dim / 2);
  omega = 1.0 / torch::pow(10000.0, omega);                       // (D/2)
  auto pos = torch::arange(n, f64);                               // (n)
  auto out = torch::outer(pos, omega);                            // (n, D/2)
  return torch::cat({torch::sin(out), torch::cos(out)}, 1).to(torch::kFloat32);  // (n, D)
}

}  // namespace cgdmer
