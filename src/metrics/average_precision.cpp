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
  if (n_classes <= 0 || scores.size() != labels.size() || scores.size() % n_classes != 0)
    throw ConfigError("macro_average_precision: scores (" + std::to_string(scores.size()) +
                      ") and labels (" + std::to_string(labels.size()) + ") are not both (N, " +
                      std::to_string(n_classes) + ")");
  MultiLabelAuc r;
  r.per_class.assign(n_classes, std::nan(""));
  double sum = 0;
  int used = 0;
  for (int c = 0; c < n_classes; ++c) {
    auto y = column(labels, n_classes, c);
    const auto pos = std::count(y.begin(), y.end(), std::uint8_t(1));
    if (pos == 0 || pos == std::int64_t(y.size())) {
      r.excluded.push_back(c);
      continue;
    }
    r.per_class[c] = average_precision(column(scores, n_classes, c), y);
    sum += r.per_class[c];
    ++used;
  }
  r.macro = used ? sum / used : std::nan("");
  return r;
}

}  // namespace cgdmer
