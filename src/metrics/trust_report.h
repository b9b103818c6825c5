// The metrics a result table can be trusted with, for an (N, C) multi-label test set scored
// by logits: per class and macro AUROC, AUPRC (step-wise AP), F1 / sensitivity / specificity
// at the threshold chosen per class on VALIDATION (max F1 there; never on test), and Brier /
// ECE of sigmoid(logits) — each with a bootstrap interval. AUROC, AUPRC, F1, sensitivity and
// specificity use stratified resamples (stratified_bootstrap.h: per class by label, so each
// has both; macro by label pattern). Brier and ECE need no label present and use a plain row
// bootstrap: fixing a class's prevalence would hide the prevalence's own sampling variance,
// which is much of a Brier score's (a near-constant predictor's Brier is then constant, its
// interval a point). Plus one temperature fitted on validation and the macro Brier / ECE
// after applying it to test (points only). Torch-free.
//
// Undefined values are NaN (null in JSON), never a convention's 0: a class without a positive
// in test has no AUROC, AUPRC, sensitivity or F1 (sklearn would raise or return 0 with a
// warning); one without a negative has no AUROC, AUPRC or specificity. AUROC, AUPRC, F1,
// sensitivity and specificity are macro-averaged over the classes with both labels in test
// (macro_roc_auc's rule; `excluded` lists the others), Brier and ECE over all C classes.
//
// ECE's bootstrap distribution is biased upward (a resample's per-bin gaps |mean p − frac pos|
// add sampling noise that never cancels), so on small test sets its interval can lie wholly
// above the point (fixture case "small": macro ECE 0.167, interval [0.177, 0.248]). Read it as
// the spread of the estimate, not as a coverage guarantee.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "metrics/bootstrap.h"
#include "metrics/temperature.h"
#include "metrics/threshold_metrics.h"

namespace cgdmer {

struct TrustOptions {
  int n_resamples = 1000;
  double level = 0.95;
  std::uint64_t seed = 0;
  int n_bins = 15;                 // ECE bins
  std::size_t min_stratum = 5;     // strata_by_pattern's pooling size for the macro CIs
};

// One metric set with intervals; the same fields per class and for the macro.
struct TrustMetrics {
  BootstrapCi auroc, auprc, f1, sensitivity, specificity, brier, ece;
};

struct TrustClass {
  double threshold = 0;            // chosen on validation (+inf: no positive there)
  ThresholdMetrics at_threshold;   // counts on the full test set
  long n_pos = 0, n_neg = 0;       // in test
  TrustMetrics m;
};

struct TrustReport {
  int n_val = 0, n_test = 0, n_classes = 0;
  TrustOptions options;
  std::vector<TrustClass> per_class;
  TrustMetrics macro;
  std::vector<int> excluded;       // classes without both labels in test
  TemperatureFit temperature;      // on all validation logits
  double macro_brier_scaled = 0, macro_ece_scaled = 0;  // test, sigmoid(logit / T)
};

// val_*: (N_val, C), test_*: (N_test, C), row-major; scores are logits.
TrustReport trust_report(const std::vector<double>& val_scores,
                         const std::vector<std::uint8_t>& val_labels,
                         const std::vector<double>& test_scores,
                         const std::vector<std::uint8_t>& test_labels, int n_classes,
                         const TrustOptions& options = {});

// {"n_val", "n_test", "level", "n_resamples", "seed", "n_bins", "excluded", "temperature",
//  "macro": {metric: {"point", "low", "high", "n"}}, "per_class": [{"name", "threshold",
//  "tp", "fp", "tn", "fn", "n_pos", metric: {...}}]}; NaN and ±inf → null.
nlohmann::json trust_report_json(const TrustReport& r,
                                 const std::vector<std::string>& class_names = {});

// Table cells for one metric set, in the order auroc, auprc, f1, sensitivity, specificity,
// brier, ece (trust_metric_names()): "point [low, high]", "–" where undefined.
const std::vector<std::string>& trust_metric_names();
std::vector<std::string> trust_metric_cells(const TrustMetrics& m);

// One markdown table: a row per class and a macro row, "point [low, high]" cells.
std::string trust_report_markdown(const TrustReport& r,
                                  const std::vector<std::string>& class_names = {});

}  // namespace cgdmer
