// Bootstrap CI of the macro AUC (see bootstrap.h).
#include "metrics/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "core/error.h"
#include "metrics/roc_auc.h"

namespace cgdmer {

double percentile(std::vector<double> v, double q) {
  if (v.empty()) throw ConfigError("percentile of an empty set");
  std::sort(v.begin(), v.end());
  const double pos = q / 100.0 * double(v.size() - 1);
  const std::size_t lo = std::size_t(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - double(lo)) * (v[hi] - v[lo]);
}

BootstrapCi bootstrap_macro_auc(const std::vector<double>& scores,
                                const std::vector<std::uint8_t>& labels, int n_classes,
                                int n_resamples, double level, std::uint64_t seed) {
  if (n_resamples <= 0 || !(level > 0 && level < 1))
    throw ConfigError("bootstrap: need n_resamples > 0 and 0 < level < 1");
  BootstrapCi ci;
  ci.level = level;
  ci.point = macro_roc_auc(scores, labels, n_classes).macro;
  const std::size_t n = scores.size() / n_classes;
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::size_t> pick(0, n - 1);
  std::vector<double> s(scores.size()), stats;
  std::vector<std::uint8_t> y(labels.size());
  for (int b = 0; b < n_resamples; ++b) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t j = pick(rng);
      std::copy_n(scores.begin() + j * n_classes, n_classes, s.begin() + i * n_classes);
      std::copy_n(labels.begin() + j * n_classes, n_classes, y.begin() + i * n_classes);
    }
    const double m = macro_roc_auc(s, y, n_classes).macro;
    if (std::isfinite(m)) stats.push_back(m);
  }
  ci.n_resamples = int(stats.size());
  if (stats.empty()) throw ConfigError("bootstrap: no resample had a defined macro AUC");
  const double tail = (1 - level) / 2 * 100;
  ci.low = percentile(stats, tail);
  ci.high = percentile(stats, 100 - tail);
  return ci;
}

}  // namespace cgdmer
