// Metrics of hard predictions at a score threshold (predict positive when score >= threshold):
// confusion counts, sensitivity (recall), specificity, precision and F1, with scikit-learn's
// `zero_division=0` convention — a ratio whose denominator is 0 is 0 (precision with nothing
// predicted positive, recall with no positive, specificity with no negative, F1 when
// precision + recall = 0). Thresholds are chosen per class on VALIDATION data (max F1 there)
// and applied unchanged to TEST scores: choosing them on the test set inflates F1. Torch-free.
#pragma once

#include <cstdint>
#include <vector>

namespace cgdmer {

struct ThresholdMetrics {
  double threshold = 0;
  long tp = 0, fp = 0, tn = 0, fn = 0;
  double sensitivity = 0;  // tp / (tp + fn)   = sklearn recall_score
  double specificity = 0;  // tn / (tn + fp)   = recall_score of the negative class
  double precision = 0;    // tp / (tp + fp)
  double f1 = 0;           // 2PR / (P + R)    = sklearn f1_score(zero_division=0)
};

// scores, labels: (N). Throws ConfigError on a size mismatch or a non-finite score.
ThresholdMetrics threshold_metrics(const std::vector<double>& scores,
                                   const std::vector<std::uint8_t>& labels, double threshold);

// Per-class thresholds chosen on validation: the max-F1 threshold of max_f1() (the lowest
// score among equal F1 maxima, as MERL/sklearn's argmax). A class with no positive in the
// validation set has no F1-maximising threshold (every threshold gives F1 = 0); it gets +inf,
// i.e. "never predict positive", instead of the lowest score that max_f1 would return.
// val_scores, val_labels: (N_val, C) row-major → (C).
std::vector<double> choose_thresholds_on_validation(const std::vector<double>& val_scores,
                                                    const std::vector<std::uint8_t>& val_labels,
                                                    int n_classes);

// The thresholds (C) applied to test (N_test, C) row-major → per-class metrics (C).
std::vector<ThresholdMetrics> apply_thresholds(const std::vector<double>& test_scores,
                                               const std::vector<std::uint8_t>& test_labels,
                                               int n_classes, const std::vector<double>& thresholds);

}  // namespace cgdmer
