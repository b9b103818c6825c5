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

namespace {

double seed_mean_auc(const std::vector<std::vector<double>>& seeds,
                     const std::vector<std::uint8_t>& labels, int n_classes) {
  double sum = 0;
  int n = 0;
  for (const auto& s : seeds) {
    const double m = macro_roc_auc(s, labels, n_classes).macro;
    if (std::isfinite(m)) sum += m, ++n;
  }
  return n ? sum / n : std::nan("");
}

BootstrapCi interval(double point, std::vector<double> stats, double level) {
  BootstrapCi ci;
  ci.point = point;
  ci.level = level;
  ci.n_resamples = int(stats.size());
  if (stats.empty()) throw ConfigError("bootstrap: no resample had a defined macro AUC");
  const double tail = (1 - level) / 2 * 100;
  ci.low = percentile(stats, tail);
  ci.high = percentile(stats, 100 - tail);
  return ci;
}

}  // namespace

SeedMeanComparison compare_seed_mean_aucs(
    const std::vector<std::vector<std::vector<double>>>& runs,
    const std::vector<std::uint8_t>& labels, int n_classes, std::size_t reference,
    int n_resamples, double level, std::uint64_t seed) {
  if (n_resamples <= 0 || !(level > 0 && level < 1))
    throw ConfigError("bootstrap: need n_resamples > 0 and 0 < level < 1");
  if (runs.empty() || reference >= runs.size())
    throw ConfigError("bootstrap: the reference model is not among the compared ones");
  const std::size_t C = std::size_t(n_classes), n = labels.size() / C;
  for (const auto& m : runs) {
    if (m.empty()) throw ConfigError("bootstrap: a compared model has no seed");
    for (const auto& s : m)
      if (s.size() != labels.size())
        throw ConfigError("bootstrap: scores and labels differ in size");
  }
  const std::size_t M = runs.size();
  std::vector<double> point(M);
  for (std::size_t m = 0; m < M; ++m) point[m] = seed_mean_auc(runs[m], labels, n_classes);
  std::vector<std::vector<double>> stats(M), diffs(M);
  std::vector<double> not_above(M, 0);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::size_t> pick(0, n - 1);
  std::vector<std::size_t> rows(n);
  std::vector<std::uint8_t> y(labels.size());
  std::vector<std::vector<double>> resampled;
  int valid = 0;
  for (int b = 0; b < n_resamples; ++b) {
    for (auto& r : rows) r = pick(rng);
    for (std::size_t i = 0; i < n; ++i)
      std::copy_n(labels.begin() + std::ptrdiff_t(rows[i] * C), C, y.begin() + std::ptrdiff_t(i * C));
    std::vector<double> auc(M);
    for (std::size_t m = 0; m < M; ++m) {
      resampled.assign(runs[m].size(), std::vector<double>(labels.size()));
      for (std::size_t s = 0; s < runs[m].size(); ++s)
        for (std::size_t i = 0; i < n; ++i)
          std::copy_n(runs[m][s].begin() + std::ptrdiff_t(rows[i] * C), C,
                      resampled[s].begin() + std::ptrdiff_t(i * C));
      auc[m] = seed_mean_auc(resampled, y, n_classes);
    }
    if (!std::isfinite(auc[reference])) continue;
    ++valid;
    for (std::size_t m = 0; m < M; ++m) {
      if (!std::isfinite(auc[m])) continue;
      stats[m].push_back(auc[m]);
      diffs[m].push_back(auc[m] - auc[reference]);
      if (auc[m] - auc[reference] <= 0) not_above[m] += 1;
    }
  }
  SeedMeanComparison out;
  for (std::size_t m = 0; m < M; ++m) {
    out.model.push_back(interval(point[m], stats[m], level));
    out.diff.push_back(interval(point[m] - point[reference], diffs[m], level));
    out.p_not_above.push_back(valid ? not_above[m] / valid : std::nan(""));
  }
  return out;
}

}  // namespace cgdmer
