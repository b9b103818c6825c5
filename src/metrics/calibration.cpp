// Brier score and equal-width-bin ECE of probabilities (see calibration.h).
#include "metrics/calibration.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"

namespace cgdmer {
namespace {

void check(const char* what, const std::vector<double>& p, const std::vector<std::uint8_t>& y) {
  if (p.size() != y.size())
    throw ConfigError(std::string(what) + ": " + std::to_string(p.size()) + " probabilities but " +
                      std::to_string(y.size()) + " labels");
  if (p.empty()) throw ConfigError(std::string(what) + ": no rows");
  for (double v : p)
    if (!(v >= 0 && v <= 1))  // also refuses NaN
      throw ConfigError(std::string(what) + ": " + std::to_string(v) +
                        " is not a probability (apply sigmoid to logits first)");
}

}  // namespace

double brier_score(const std::vector<double>& probs, const std::vector<std::uint8_t>& labels) {
  check("brier_score", probs, labels);
  double sum = 0;
  for (std::size_t i = 0; i < probs.size(); ++i) {
    const double d = double(labels[i]) - probs[i];
    sum += d * d;
  }
  return sum / double(probs.size());
}

CalibrationBins calibration_bins(const std::vector<double>& probs,
                                 const std::vector<std::uint8_t>& labels, int n_bins) {
  check("calibration_bins", probs, labels);
  if (n_bins < 1) throw ConfigError("calibration_bins: need at least one bin");
  // Inner edges k·(1/B), k = 1..B−1, the same float64 values as np.linspace(0, 1, B+1);
  // bin = np.searchsorted(inner, p) (side='left'): the number of inner edges < p.
  const double step = 1.0 / n_bins;
  std::vector<double> inner(n_bins - 1);
  for (int k = 1; k < n_bins; ++k) inner[k - 1] = double(k) * step;
  std::vector<long> count(n_bins, 0);
  std::vector<double> psum(n_bins, 0), pos(n_bins, 0);
  for (std::size_t i = 0; i < probs.size(); ++i) {
    const int b = int(std::lower_bound(inner.begin(), inner.end(), probs[i]) - inner.begin());
    count[b] += 1;
    psum[b] += probs[i];
    pos[b] += labels[i];
  }
  CalibrationBins out;
  for (int b = 0; b < n_bins; ++b) {
    if (count[b] == 0) continue;
    out.bin.push_back(b);
    out.count.push_back(count[b]);
    out.mean_prob.push_back(psum[b] / double(count[b]));
    out.frac_pos.push_back(pos[b] / double(count[b]));
  }
  return out;
}

double expected_calibration_error(const std::vector<double>& probs,
                                  const std::vector<std::uint8_t>& labels, int n_bins) {
  const auto bins = calibration_bins(probs, labels, n_bins);
  const double n = double(probs.size());
  double ece = 0;
  for (std::size_t k = 0; k < bins.bin.size(); ++k)
    ece += double(bins.count[k]) / n * std::abs(bins.mean_prob[k] - bins.frac_pos[k]);
  return ece;
}

}  // namespace cgdmer
