// Hard-prediction metrics at a threshold chosen on validation (see threshold_metrics.h).
#include "metrics/threshold_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/error.h"
#include "metrics/max_f1.h"
#include "metrics/roc_auc.h"

namespace cgdmer {
namespace {

double ratio0(double num, double den) { return den > 0 ? num / den : 0.0; }  // zero_division=0

void check_matrix(const char* what, std::size_t scores, std::size_t labels, int n_classes) {
  if (n_classes <= 0 || scores != labels || scores % std::size_t(n_classes) != 0)
    throw ConfigError(std::string(what) + ": scores (" + std::to_string(scores) + ") and labels (" +
                      std::to_string(labels) + ") are not both (N, " + std::to_string(n_classes) + ")");
}

}  // namespace

ThresholdMetrics threshold_metrics(const std::vector<double>& scores,
                                   const std::vector<std::uint8_t>& labels, double threshold) {
  if (scores.size() != labels.size())
    throw ConfigError("threshold_metrics: " + std::to_string(scores.size()) + " scores but " +
                      std::to_string(labels.size()) + " labels");
  ThresholdMetrics m;
  m.threshold = threshold;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (!std::isfinite(scores[i])) throw ConfigError("threshold_metrics: non-finite score");
    const bool pred = scores[i] >= threshold;
    if (labels[i]) (pred ? m.tp : m.fn) += 1;
    else (pred ? m.fp : m.tn) += 1;
  }
  m.sensitivity = ratio0(double(m.tp), double(m.tp + m.fn));
  m.specificity = ratio0(double(m.tn), double(m.tn + m.fp));
  m.precision = ratio0(double(m.tp), double(m.tp + m.fp));
  // sklearn 1.2: f = 2·P·R / (P + R) with the denominator set to 1 where it is 0.
  const double den = m.precision + m.sensitivity;
  m.f1 = 2 * m.precision * m.sensitivity / (den == 0.0 ? 1.0 : den);
  return m;
}

std::vector<double> choose_thresholds_on_validation(const std::vector<double>& val_scores,
                                                    const std::vector<std::uint8_t>& val_labels,
                                                    int n_classes) {
  check_matrix("choose_thresholds_on_validation", val_scores.size(), val_labels.size(), n_classes);
  if (val_scores.empty()) throw ConfigError("choose_thresholds_on_validation: empty validation set");
  std::vector<double> thr(n_classes);
  for (int c = 0; c < n_classes; ++c) {
    const auto y = column(val_labels, n_classes, c);
    if (std::count(y.begin(), y.end(), std::uint8_t(1)) == 0) {
      thr[c] = std::numeric_limits<double>::infinity();
      continue;
    }
    thr[c] = max_f1(column(val_scores, n_classes, c), y).threshold;
  }
  return thr;
}

std::vector<ThresholdMetrics> apply_thresholds(const std::vector<double>& test_scores,
                                               const std::vector<std::uint8_t>& test_labels,
                                               int n_classes, const std::vector<double>& thresholds) {
  check_matrix("apply_thresholds", test_scores.size(), test_labels.size(), n_classes);
  if (thresholds.size() != std::size_t(n_classes))
    throw ConfigError("apply_thresholds: " + std::to_string(thresholds.size()) + " thresholds for " +
                      std::to_string(n_classes) + " classes");
  std::vector<ThresholdMetrics> out;
  for (int c = 0; c < n_classes; ++c)
    out.push_back(threshold_metrics(column(test_scores, n_classes, c),
                                    column(test_labels, n_classes, c), thresholds[c]));
  return out;
}

}  // namespace cgdmer
