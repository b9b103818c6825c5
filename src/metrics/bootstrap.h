// Bootstrap confidence interval of the macro ROC-AUC: B resamples of the N test rows with
// replacement (seeded std::mt19937_64, so reproducible), macro AUC of each (classes without
// both label values in a resample are left out of that resample's mean, like macro_roc_auc),
// percentile interval with numpy's default linear interpolation. Torch-free.
#pragma once

#include <cstdint>
#include <vector>

namespace cgdmer {

struct BootstrapCi {
  double point = 0;       // macro AUC on the full set
  double low = 0, high = 0;
  double level = 0.95;
  int n_resamples = 0;    // resamples that produced a finite macro AUC
};

// scores, labels: (N, C) row-major.
BootstrapCi bootstrap_macro_auc(const std::vector<double>& scores,
                                const std::vector<std::uint8_t>& labels, int n_classes,
                                int n_resamples = 1000, double level = 0.95,
                                std::uint64_t seed = 0);

// numpy.percentile(v, q) with the default 'linear' method; q in [0, 100]. v non-empty.
double percentile(std::vector<double> v, double q);

}  // namespace cgdmer
