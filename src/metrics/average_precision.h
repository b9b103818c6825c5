// Average precision exactly as scikit-learn 1.2's `average_precision_score` computes it: the
// step-wise sum Σ_k (R_k − R_{k−1}) · P_k over the precision–recall curve, one point per
// DISTINCT score (descending), NOT the trapezoid area (which is optimistic for PR curves).
// Multi-label macro AP uses macro_roc_auc's rule: classes without both a positive and a
// negative in y_true are left out and listed. Torch-free.
#pragma once

#include <cstdint>
#include <vector>

#include "metrics/roc_auc.h"

namespace cgdmer {

// One binary problem. scores: (N) any real values; labels: (N) 0/1. Throws ConfigError when
// there is no positive (recall undefined; sklearn 1.2 warns and returns 0) or sizes differ.
// A class with no negative is defined (AP = 1) but left out of the macro mean.
double average_precision(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels);

// scores, labels: (N, C) row-major. Same struct as macro AUC: macro, per_class (NaN where
// excluded), excluded class indices.
MultiLabelAuc macro_average_precision(const std::vector<double>& scores,
                                      const std::vector<std::uint8_t>& labels, int n_classes);

}  // namespace cgdmer
