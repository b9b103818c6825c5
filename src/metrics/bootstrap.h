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

// Several models scored on the same N test rows, each trained with several seeds (Table 3
// ablations): a model's figure is its seed-mean macro AUC. One set of B resamples of the rows
// is drawn and shared by every model, so each model's difference to a reference model is a
// paired comparison on identical resamples.
//   runs[m][s]: (N, C) row-major scores of model m, seed s; labels: (N, C).
struct SeedMeanComparison {
  std::vector<BootstrapCi> model;  // seed-mean macro AUC and its CI, per model
  std::vector<BootstrapCi> diff;   // (model − reference) and its CI, per model (0 for the reference)
  std::vector<double> p_not_above; // share of resamples with model − reference ≤ 0 (one-sided)
};
SeedMeanComparison compare_seed_mean_aucs(
    const std::vector<std::vector<std::vector<double>>>& runs,
    const std::vector<std::uint8_t>& labels, int n_classes, std::size_t reference,
    int n_resamples = 1000, double level = 0.95, std::uint64_t seed = 0);

// numpy.percentile(v, q) with the default 'linear' method; q in [0, 100]. v non-empty.
double percentile(std::vector<double> v, double q);

}  // namespace cgdmer
