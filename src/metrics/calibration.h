// Calibration of predicted PROBABILITIES (not logits: apply sigmoid/softmax first; values
// outside [0, 1] are refused): the Brier score as scikit-learn's `brier_score_loss`
// (mean of (p − y)²), and the expected calibration error over equal-width bins:
//   ECE = Σ_b |b|/N · |mean p in b − fraction of positives in b|,
// bins [0, 1/B], (1/B, 2/B], …, ((B−1)/B, 1] with B = 15 by default — the binning of sklearn's
// `calibration_curve(strategy='uniform')` (edges np.linspace(0, 1, B+1), a value on an edge
// falls in the lower bin). sklearn has no ECE; it is checked against numpy. Torch-free.
#pragma once

#include <cstdint>
#include <vector>

namespace cgdmer {

// probs, labels: (N). Throws ConfigError when sizes differ, N = 0 or a prob is outside [0, 1].
double brier_score(const std::vector<double>& probs, const std::vector<std::uint8_t>& labels);

// The non-empty bins in increasing order, as calibration_curve returns them.
struct CalibrationBins {
  std::vector<int> bin;          // bin index in [0, B)
  std::vector<long> count;       // rows in the bin
  std::vector<double> mean_prob; // calibration_curve's prob_pred
  std::vector<double> frac_pos;  // calibration_curve's prob_true
};
CalibrationBins calibration_bins(const std::vector<double>& probs,
                                 const std::vector<std::uint8_t>& labels, int n_bins = 15);

double expected_calibration_error(const std::vector<double>& probs,
                                  const std::vector<std::uint8_t>& labels, int n_bins = 15);

}  // namespace cgdmer
