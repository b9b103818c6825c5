// ROC-AUC as scikit-learn 1.2 computes it (see roc_auc.h).
#include "metrics/roc_auc.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.h"

namespace cgdmer {
namespace {

void check_sizes(const std::vector<double>& s, const std::vector<std::uint8_t>& y) {
  if (s.size() != y.size())
    throw ConfigError("roc_auc: " + std::to_string(s.size()) + " scores but " +
                      std::to_string(y.size()) + " labels");
  for (double v : s)
    if (!std::isfinite(v)) throw ConfigError("roc_auc: non-finite score");
}

// sklearn's _binary_clf_curve: cumulative (fps, tps) at each distinct score, descending.
void binary_clf_curve(const std::vector<double>& s, const std::vector<std::uint8_t>& y,
                      std::vector<double>& fps, std::vector<double>& tps,
                      std::vector<double>& thr) {
  std::vector<std::size_t> order(s.size());
  std::iota(order.begin(), order.end(), 0);
  // Order within a tie group does not matter: only group totals are used.
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return s[a] > s[b]; });
  double tp = 0, fp = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    if (y[order[k]]) tp += 1; else fp += 1;
    if (k + 1 == order.size() || s[order[k + 1]] != s[order[k]]) {
      tps.push_back(tp);
      fps.push_back(fp);
      thr.push_back(s[order[k]]);
    }
  }
}

}  // namespace

RocCurve roc_curve(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels) {
  check_sizes(scores, labels);
  std::vector<double> fps, tps, thr;
  binary_clf_curve(scores, labels, fps, tps, thr);
  RocCurve c;
  const double P = tps.empty() ? 0 : tps.back(), N = fps.empty() ? 0 : fps.back();
  // sklearn 1.2 prepends threshold max+1; +inf says the same ("nothing predicted positive").
  c.fpr.push_back(0);
  c.tpr.push_back(0);
  c.thresholds.push_back(std::numeric_limits<double>::infinity());
  for (std::size_t i = 0; i < tps.size(); ++i) {
    c.fpr.push_back(N > 0 ? fps[i] / N : std::nan(""));
    c.tpr.push_back(P > 0 ? tps[i] / P : std::nan(""));
    c.thresholds.push_back(thr[i]);
  }
  return c;
}

double roc_auc(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels) {
  check_sizes(scores, labels);
  std::vector<double> fps, tps, thr;
  binary_clf_curve(scores, labels, fps, tps, thr);
  const double P = tps.empty() ? 0 : tps.back(), N = fps.empty() ? 0 : fps.back();
  if (P == 0 || N == 0)
    throw ConfigError("roc_auc: only one class present in y_true; ROC AUC is undefined");
  // Trapezoids over (fpr, tpr) = (fps/N, tps/P), from (0,0) — np.trapz on the same points.
  double area = 0, x0 = 0, y0 = 0;
  for (std::size_t i = 0; i < tps.size(); ++i) {
    const double x1 = fps[i] / N, y1 = tps[i] / P;
    area += (x1 - x0) * (y1 + y0) / 2.0;
    x0 = x1;
    y0 = y1;
  }
  return area;
}

double roc_auc_pairwise(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels) {
  check_sizes(scores, labels);
  double wins = 0, pairs = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (!labels[i]) continue;
    for (std::size_t j = 0; j < scores.size(); ++j) {
      if (labels[j]) continue;
      pairs += 1;
      if (scores[i] > scores[j]) wins += 1;
      else if (scores[i] == scores[j]) wins += 0.5;
    }
  }
  if (pairs == 0) throw ConfigError("roc_auc_pairwise: only one class present in y_true");
  return wins / pairs;
}

MultiLabelAuc macro_over_classes(
    const std::vector<double>& scores, const std::vector<std::uint8_t>& labels, int n_classes,
    double (*metric)(const std::vector<double>&, const std::vector<std::uint8_t>&), const char* what) {
  if (n_classes <= 0 || scores.size() != labels.size() || scores.size() % n_classes != 0)
    throw ConfigError(std::string(what) + ": scores (" + std::to_string(scores.size()) + ") and labels (" +
                      std::to_string(labels.size()) + ") are not both (N, " +
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
    r.per_class[c] = metric(column(scores, n_classes, c), y);
    sum += r.per_class[c];
    ++used;
  }
  r.macro = used ? sum / used : std::nan("");
  return r;
}

MultiLabelAuc macro_roc_auc(const std::vector<double>& scores,
                            const std::vector<std::uint8_t>& labels, int n_classes) {
  return macro_over_classes(scores, labels, n_classes, &roc_auc, "macro_roc_auc");
}

std::string describe_excluded(const std::vector<std::uint8_t>& labels, int n_classes, const std::vector<int>& excluded,
                              const std::vector<std::string>& class_names) {
  std::string out;
  for (int c : excluded) {
    auto y = column(labels, n_classes, c);
    const bool any_pos = std::count(y.begin(), y.end(), std::uint8_t(1)) > 0;
    const std::string name = c < int(class_names.size()) ? class_names[c] : std::to_string(c);
    out += (out.empty() ? "" : ", ") + name + (any_pos ? " (no negative)" : " (no positive)");
  }
  return out.empty() ? out : "excluded from macro AUC: " + out;
}

}  // namespace cgdmer
