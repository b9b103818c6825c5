// Max-F1 from the precision–recall curve (see max_f1.h).
#include "metrics/max_f1.h"

#include <algorithm>
#include <numeric>
#include <string>

#include "core/error.h"
#include "metrics/roc_auc.h"

namespace cgdmer {

MaxF1 max_f1(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels) {
  if (scores.size() != labels.size()) throw ConfigError("max_f1: scores and labels differ in size");
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  const double P = double(std::count(labels.begin(), labels.end(), std::uint8_t(1)));
  MaxF1 best;
  bool first = true;
  double tp = 0, fp = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    if (labels[order[k]]) tp += 1; else fp += 1;
    if (k + 1 < order.size() && scores[order[k + 1]] == scores[order[k]]) continue;
    // precision = tp/(tp+fp), recall = tp/P; F1 = 2PR/(P+R) = 2tp/(tp+fp+P).
    const double denom = tp + fp + P;
    const double f1 = (tp > 0 && denom > 0) ? 2 * tp / denom : 0.0;
    // np.argmax picks the first maximum along sklearn's ascending-threshold order, i.e. the
    // LOWEST threshold among ties; we walk descending, so take later equal values too.
    if (first || f1 >= best.f1) {
      best.f1 = f1;
      best.threshold = scores[order[k]];
      first = false;
    }
  }
  return best;
}

double macro_max_f1(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels,
                    int n_classes, std::vector<double>* per_class) {
  if (n_classes <= 0 || scores.size() != labels.size() || scores.size() % n_classes != 0)
    throw ConfigError("macro_max_f1: scores and labels are not both (N, " +
                      std::to_string(n_classes) + ")");
  double sum = 0;
  if (per_class) per_class->clear();
  for (int c = 0; c < n_classes; ++c) {
    const double f = max_f1(column(scores, n_classes, c), column(labels, n_classes, c)).f1;
    if (per_class) per_class->push_back(f);
    sum += f;
  }
  return sum / n_classes;
}

}  // namespace cgdmer
