// Max-F1 over the precision–recall curve, as MERL reports it: for each class, F1 at every
// threshold of sklearn's precision_recall_curve (one per distinct score), take the max and
// the threshold achieving it; macro = mean over classes. Torch-free.
#pragma once

#include <cstdint>
#include <vector>

namespace cgdmer {

struct MaxF1 {
  double f1 = 0;         // max over thresholds of 2PR/(P+R) (0 where P+R = 0)
  double threshold = 0;  // score threshold (predict positive when score >= threshold)
};
// scores, labels: (N).
MaxF1 max_f1(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels);

// (N, C) row-major; mean of the per-class max-F1 over all C classes (MERL averages all).
double macro_max_f1(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels,
                    int n_classes, std::vector<double>* per_class = nullptr);

}  // namespace cgdmer
