// Temperature scaling (Guo et al. 2017): one T > 0 for the whole model, fitted on VALIDATION
// logits by minimising the negative log-likelihood of the scaled predictions —
//   binary / multi-label: p = sigmoid(z / T), NLL = mean over all entries of BCE(p, y);
//   multi-class:          p = softmax(z / T) over K classes, NLL = mean over rows of −log p_y.
// Both NLLs are convex in a = 1/T (logistic / multinomial regression with one weight and no
// bias), so their derivative in a is monotone: we bisect its sign on log a over the bracket
// T ∈ [1e-3, 1e3] until log T is known to 1e-15 (~54 evaluations, no step size to tune).
// When the minimum lies outside the bracket (separable data wants T → 0; logits
// anti-correlated with labels want T → ∞) T is the bracket end and at_bound is set.
// Torch-free.
#pragma once

#include <cstdint>
#include <vector>

namespace cgdmer {

struct TemperatureFit {
  double temperature = 1;
  double nll_at_1 = 0;        // NLL of the unscaled logits
  double nll = 0;             // NLL at the fitted temperature (≤ nll_at_1)
  bool at_bound = false;      // the optimum is at or beyond the bracket end
  int evaluations = 0;
};

// logits, labels: any shape flattened, (M) each (a (N, C) multi-label matrix shares one T).
double binary_nll(const std::vector<double>& logits, const std::vector<std::uint8_t>& labels,
                  double temperature);
TemperatureFit fit_temperature_binary(const std::vector<double>& logits,
                                      const std::vector<std::uint8_t>& labels);

// logits: (N, K) row-major, targets: (N) class indices in [0, K).
double softmax_nll(const std::vector<double>& logits, const std::vector<int>& targets,
                   int n_classes, double temperature);
TemperatureFit fit_temperature_softmax(const std::vector<double>& logits,
                                       const std::vector<int>& targets, int n_classes);

// Element-wise sigmoid(z / T), numerically stable for large |z|.
std::vector<double> sigmoid(const std::vector<double>& logits, double temperature = 1);

}  // namespace cgdmer
