// Stratified bootstrap with a metric callback (see stratified_bootstrap.h).
#include "metrics/stratified_bootstrap.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <string>

#include "core/error.h"

namespace cgdmer {

Strata strata_by_label(const std::vector<std::uint8_t>& labels) {
  Strata s(2);
  for (std::size_t i = 0; i < labels.size(); ++i) s[labels[i] ? 1 : 0].push_back(i);
  Strata out;
  for (auto& v : s)
    if (!v.empty()) out.push_back(std::move(v));
  return out;
}

Strata strata_by_pattern(const std::vector<std::uint8_t>& labels, int n_classes,
                         std::size_t min_size) {
  if (n_classes <= 0 || labels.size() % std::size_t(n_classes) != 0)
    throw ConfigError("strata_by_pattern: labels (" + std::to_string(labels.size()) +
                      ") are not (N, " + std::to_string(n_classes) + ")");
  const std::size_t C = std::size_t(n_classes), n = labels.size() / C;
  std::map<std::vector<std::uint8_t>, std::size_t> index;  // pattern → stratum
  Strata by_pattern;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<std::uint8_t> key(labels.begin() + std::ptrdiff_t(i * C),
                                  labels.begin() + std::ptrdiff_t((i + 1) * C));
    auto [it, added] = index.emplace(std::move(key), by_pattern.size());
    if (added) by_pattern.emplace_back();
    by_pattern[it->second].push_back(i);
  }
  Strata out;
  std::vector<std::size_t> pooled;
  for (auto& s : by_pattern) {
    if (s.size() >= min_size) out.push_back(std::move(s));
    else pooled.insert(pooled.end(), s.begin(), s.end());
  }
  if (!pooled.empty()) {
    std::sort(pooled.begin(), pooled.end());
    out.push_back(std::move(pooled));
  }
  return out;
}

std::vector<std::size_t> stratified_resample(const Strata& strata, std::mt19937_64& rng) {
  std::vector<std::size_t> rows;
  for (const auto& s : strata) {
    std::uniform_int_distribution<std::size_t> pick(0, s.size() - 1);
    for (std::size_t k = 0; k < s.size(); ++k) rows.push_back(s[pick(rng)]);
  }
  return rows;
}

std::vector<BootstrapCi> stratified_bootstrap(const Strata& strata, const RowMetric& metric,
                                              int n_resamples, double level, std::uint64_t seed) {
  if (n_resamples <= 0 || !(level > 0 && level < 1))
    throw ConfigError("stratified_bootstrap: need n_resamples > 0 and 0 < level < 1");
  std::size_t n = 0;
  for (const auto& s : strata) {
    if (s.empty()) throw ConfigError("stratified_bootstrap: an empty stratum");
    n += s.size();
  }
  std::vector<char> seen(n, 0);
  for (const auto& s : strata)
    for (std::size_t i : s) {
      if (i >= n || seen[i]) throw ConfigError("stratified_bootstrap: strata do not partition 0..N-1");
      seen[i] = 1;
    }
  std::vector<std::size_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  const std::vector<double> point = metric(all);
  const std::size_t K = point.size();
  std::vector<std::vector<double>> stats(K);
  std::mt19937_64 rng(seed);
  for (int b = 0; b < n_resamples; ++b) {
    const auto v = metric(stratified_resample(strata, rng));
    if (v.size() != K) throw ConfigError("stratified_bootstrap: metric changed its output size");
    for (std::size_t k = 0; k < K; ++k)
      if (std::isfinite(v[k])) stats[k].push_back(v[k]);
  }
  const double tail = (1 - level) / 2 * 100;
  std::vector<BootstrapCi> out(K);
  for (std::size_t k = 0; k < K; ++k) {
    out[k].point = point[k];
    out[k].level = level;
    out[k].n_resamples = int(stats[k].size());
    if (stats[k].empty() || !std::isfinite(point[k])) {
      out[k].low = out[k].high = std::nan("");
      continue;
    }
    out[k].low = percentile(stats[k], tail);
    out[k].high = percentile(stats[k], 100 - tail);
  }
  return out;
}

}  // namespace cgdmer
