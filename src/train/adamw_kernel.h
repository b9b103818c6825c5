// The element-wise AdamW update on raw float arrays: the inner loop of adamw_step
// (optim.h), kept torch-free in its own file so it can be compiled for vectorisation
// (-O3 -fno-math-errno: sqrt without errno is what lets GCC vectorise the loop; ~1.6×
// faster than -O2 here) without touching the precompiled-header flags of the rest.
#pragma once

#include <cstdint>

namespace cgdmer {

// Scalars are float, already rounded from double the way torch rounds them.
struct AdamWScalars {
  float decay_keep;    // 1 − lr·wd
  float grad_scale;    // clip factor
  float beta1, one_minus_beta1, beta2, one_minus_beta2;
  float inv_sqrt_bias_correction2;  // 1 / sqrt(1 − β2^t)
  float eps;
  float neg_step_size;  // −lr / (1 − β1^t)
};

// p, m, v updated in place over [0, n); g read-only. Same float operations, in the same
// order, as torch 1.13's AdamW kernels (see adamw_step).
void adamw_update(float* p, const float* g, float* m, float* v, std::int64_t n,
                  const AdamWScalars& s);

}  // namespace cgdmer
