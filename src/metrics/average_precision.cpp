// Step-wise average precision as sklearn 1.2 computes it (see average_precision.h).
#include "metrics/average_precision.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "core/error.h"

namespace cgdmer {

double average_precision(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels) {
  if (scores.size() != labels.size())
    throw ConfigError("average_precision: " + std::to_string(scores.size()) + " scores but " +
                      std::to_string(labels.size()) + " labels");
  for (double v : scores)
    if (!std::isfinite(v)) throw ConfigError("average_precision: non-finite score");
  const double P = double(std::count(labels.begin(), labels.end(), std::uint8_t(1)));
  if (P == 0) throw ConfigError("average_precision: no positive in y_true; AP is undefined");
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  // One PR point per distinct score (a tie group moves precision and recall together);
  // sklearn: -sum(diff(recall) * precision[:-1]) over the same points.
  double tp = 0, fp = 0, prev_recall = 0, ap = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    if (labels[order[k]]) tp += 1; else fp += 1;
    if (k + 1 < order.size() && scores[order[k + 1]] == scores[order[k]]) continue;
    const double recall = tp / P, precision = tp / (tp + fp);
    ap += (recall - prev_recall) * precision;
    prev_recall = recall;
  }
  return ap;
}

MultiLabelAuc macro_average_precision(const std::vector<double>& scores,
                                      const std::vector<std::uint8_t>& labels, int n_classes) {
  return macro_over_classes(scores, labels, n_classes, &average_precision, "macro_average_precision");
}

}  // namespace cgdmer
