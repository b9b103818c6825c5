// ROC-AUC exactly as scikit-learn's `roc_auc_score` / `roc_curve` compute it: scores sorted
// descending, one ROC point per DISTINCT score (tied scores move TPR and FPR together, i.e. a
// diagonal segment), area by the trapezoid rule. Multi-label macro AUC averages the per-class
// AUCs over the classes that have both a positive and a negative in y_true; the others are
// excluded and listed (sklearn would raise; MERL's test sets never trigger it, our subsets may).
// Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cgdmer {

// One binary problem. scores: (N) any real values (logits or probabilities); labels: (N) 0/1.
// Throws ConfigError when labels hold only one class (AUC undefined) or sizes differ.
double roc_auc(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels);

// Reference: the Mann–Whitney statistic by explicit O(N²) pairs (ties count 1/2). Equal to
// roc_auc() up to rounding; kept for tests.
double roc_auc_pairwise(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels);

struct RocCurve {
  std::vector<double> fpr, tpr;   // start at (0, 0), end at (1, 1)
  std::vector<double> thresholds; // thresholds[0] = +inf (sklearn 1.2 uses max+1; see .cpp)
};
// sklearn roc_curve(drop_intermediate=False): one point per distinct score.
RocCurve roc_curve(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels);

// Multi-label: scores and labels (N, C) row-major.
struct MultiLabelAuc {
  double macro = 0;                // mean over the included classes (NaN if none)
  std::vector<double> per_class;   // (C); NaN for excluded classes
  std::vector<int> excluded;       // class indices without a positive or without a negative
};
// The macro rule shared by macro_roc_auc and macro_average_precision: `metric` (one binary
// problem's scores, labels → value) per class over the classes with both label values, mean
// over those; `what` names the caller in the size error.
MultiLabelAuc macro_over_classes(
    const std::vector<double>& scores, const std::vector<std::uint8_t>& labels, int n_classes,
    double (*metric)(const std::vector<double>&, const std::vector<std::uint8_t>&), const char* what);
MultiLabelAuc macro_roc_auc(const std::vector<double>& scores,
                            const std::vector<std::uint8_t>& labels, int n_classes);

// Column c of a row-major (N, C) matrix.
template <class T>
std::vector<T> column(const std::vector<T>& m, int n_classes, int c) {
  std::vector<T> out(m.size() / n_classes);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = m[i * n_classes + c];
  return out;
}

// "excluded classes HYP (no positive), MI (no negative)" style warning text, "" if none.
std::string describe_excluded(const std::vector<std::uint8_t>& labels, int n_classes,
                              const std::vector<int>& excluded,
                              const std::vector<std::string>& class_names);

}  // namespace cgdmer
