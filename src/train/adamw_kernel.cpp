// Element-wise AdamW update (see adamw_kernel.h). Torch's order of operations: x / scalar is
// x · (1/scalar); addcmul is self + s·a·b and addcdiv self + s·a / b, left to right.
#include "train/adamw_kernel.h"

#include <cmath>

namespace cgdmer {

void adamw_update(float* p, const float* g, float* m, float* v, std::int64_t n,
                  const AdamWScalars& s) {
  for (std::int64_t i = 0; i < n; ++i) {
    const float gi = g[i] * s.grad_scale;
    const float pi = p[i] * s.decay_keep;
    const float mi = m[i] * s.beta1 + s.one_minus_beta1 * gi;
    const float vi = v[i] * s.beta2 + s.one_minus_beta2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi + s.neg_step_size * mi / (std::sqrt(vi) * s.inv_sqrt_bias_correction2 + s.eps);
  }
}

}  // namespace cgdmer
