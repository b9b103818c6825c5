// Per-class and macro metrics with stratified bootstrap intervals (see trust_report.h).
#include "metrics/trust_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>

#include "core/error.h"
#include "metrics/calibration.h"
#include "metrics/roc_auc.h"
#include "metrics/stratified_bootstrap.h"

namespace cgdmer {
namespace {

constexpr int kAuroc = 0, kAuprc = 1, kF1 = 2, kSens = 3, kSpec = 4, kBrier = 5, kEce = 6, kN = 7;
const char* const kNames[kN] = {"auroc", "auprc", "f1", "sensitivity", "specificity", "brier", "ece"};

// One class's test column.
struct Column {
  std::vector<double> s, p;       // logits, sigmoid(logits)
  std::vector<std::uint8_t> y;
  double threshold = 0;
};

// AUROC and step-wise AP from ONE descending sort (the bootstrap's hot loop; two sorts cost
// twice): the same operations in the same order as roc_auc() and average_precision(), so the
// same doubles — the sklearn fixture checks the report's points through this path.
void ranking(std::vector<std::pair<double, std::uint8_t>>& sy, double P, double N, double* auroc,
             double* ap) {
  std::sort(sy.begin(), sy.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  double tp = 0, fp = 0, area = 0, x0 = 0, y0 = 0, prev_recall = 0, sum_ap = 0;
  for (std::size_t k = 0; k < sy.size(); ++k) {
    if (sy[k].second) tp += 1; else fp += 1;
    if (k + 1 < sy.size() && sy[k + 1].first == sy[k].first) continue;
    const double x1 = fp / N, y1 = tp / P;
    area += (x1 - x0) * (y1 + y0) / 2.0;
    x0 = x1;
    y0 = y1;
    const double recall = tp / P, precision = tp / (tp + fp);
    sum_ap += (recall - prev_recall) * precision;
    prev_recall = recall;
  }
  *auroc = area;
  *ap = sum_ap;
}

// The 7 metrics of one class on the given rows; NaN where undefined (see trust_report.h).
// Without `calibration`, Brier and ECE are left NaN (their intervals come from another
// resampling).
std::vector<double> class_metrics(const Column& c, const std::vector<std::size_t>& rows,
                                  int n_bins, bool calibration) {
  std::vector<std::pair<double, std::uint8_t>> sy(rows.size());
  long pos = 0, tp = 0, fp = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    sy[i] = {c.s[rows[i]], c.y[rows[i]]};
    pos += sy[i].second;
    if (sy[i].first >= c.threshold) (sy[i].second ? tp : fp) += 1;
  }
  const long neg = long(rows.size()) - pos;
  std::vector<double> v(kN, std::nan(""));
  // threshold_metrics()'s ratios and F1 (zero_division=0), from the counts.
  const double prec = tp + fp > 0 ? double(tp) / double(tp + fp) : 0.0;
  const double sens = pos > 0 ? double(tp) / double(pos) : 0.0;
  if (pos > 0 && neg > 0) ranking(sy, double(pos), double(neg), &v[kAuroc], &v[kAuprc]);
  if (pos > 0) {
    const double den = prec + sens;
    v[kF1] = 2 * prec * sens / (den == 0.0 ? 1.0 : den);
    v[kSens] = sens;
  }
  if (neg > 0) v[kSpec] = double(neg - fp) / double(neg);
  if (calibration) {
    std::vector<double> p(rows.size());
    std::vector<std::uint8_t> y(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) p[i] = c.p[rows[i]], y[i] = c.y[rows[i]];
    v[kBrier] = brier_score(p, y);
    v[kEce] = expected_calibration_error(p, y, n_bins);
  }
  return v;
}

// Macro: mean of the class values that are defined AND whose class has both labels on these
// rows (ranking/threshold metrics), all classes for Brier/ECE (always defined).
std::vector<double> macro_metrics(const std::vector<Column>& cols,
                                  const std::vector<std::size_t>& rows, int n_bins) {
  std::vector<double> sum(kN, 0), used(kN, 0);
  for (const auto& c : cols) {
    const auto v = class_metrics(c, rows, n_bins, false);
    const bool both = std::isfinite(v[kAuroc]);
    for (int k = 0; k < kN; ++k) {
      const bool ranked = k < kBrier;
      if (std::isfinite(v[k]) && (!ranked || both)) sum[k] += v[k], used[k] += 1;
    }
  }
  std::vector<double> out(kN);
  for (int k = 0; k < kN; ++k) out[k] = used[k] > 0 ? sum[k] / used[k] : std::nan("");
  return out;
}

// Brier and ECE of the given classes on the rows, averaged over the classes: {brier, ece}.
std::vector<double> calibration_metrics(const std::vector<const Column*>& cols,
                                        const std::vector<std::size_t>& rows, int n_bins) {
  double brier = 0, ece = 0;
  std::vector<double> p(rows.size());
  std::vector<std::uint8_t> y(rows.size());
  for (const Column* c : cols) {
    for (std::size_t i = 0; i < rows.size(); ++i) p[i] = c->p[rows[i]], y[i] = c->y[rows[i]];
    brier += brier_score(p, y);
    ece += expected_calibration_error(p, y, n_bins);
  }
  return {brier / double(cols.size()), ece / double(cols.size())};
}

TrustMetrics unpack(const std::vector<BootstrapCi>& v) {
  return {v[kAuroc], v[kAuprc], v[kF1], v[kSens], v[kSpec], v[kBrier], v[kEce]};
}
const BootstrapCi& field(const TrustMetrics& m, int k) {
  const BootstrapCi* f[kN] = {&m.auroc, &m.auprc, &m.f1, &m.sensitivity, &m.specificity,
                              &m.brier, &m.ece};
  return *f[k];
}

// splitmix64: independent, reproducible per-class seeds from one seed.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

nlohmann::json num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

nlohmann::json metrics_json(const TrustMetrics& m) {
  nlohmann::json j;
  for (int k = 0; k < kN; ++k) {
    const auto& ci = field(m, k);
    j[kNames[k]] = {{"point", num(ci.point)}, {"low", num(ci.low)}, {"high", num(ci.high)},
                    {"n", ci.n_resamples}};
  }
  return j;
}

std::string cell(const BootstrapCi& ci) {
  if (!std::isfinite(ci.point)) return "–";
  char buf[64];
  if (std::isfinite(ci.low)) std::snprintf(buf, sizeof buf, "%.3f [%.3f, %.3f]", ci.point, ci.low, ci.high);
  else std::snprintf(buf, sizeof buf, "%.3f", ci.point);
  return buf;
}

}  // namespace

TrustReport trust_report(const std::vector<double>& val_scores,
                         const std::vector<std::uint8_t>& val_labels,
                         const std::vector<double>& test_scores,
                         const std::vector<std::uint8_t>& test_labels, int n_classes,
                         const TrustOptions& options) {
  if (n_classes <= 0 || test_scores.size() != test_labels.size() ||
      test_scores.size() % std::size_t(n_classes) != 0 || test_scores.empty())
    throw ConfigError("trust_report: test scores (" + std::to_string(test_scores.size()) +
                      ") and labels (" + std::to_string(test_labels.size()) +
                      ") are not both (N, " + std::to_string(n_classes) + "), N > 0");
  TrustReport r;
  r.options = options;
  r.n_classes = n_classes;
  r.n_val = int(val_scores.size() / std::size_t(n_classes));
  r.n_test = int(test_scores.size() / std::size_t(n_classes));
  const auto thresholds = choose_thresholds_on_validation(val_scores, val_labels, n_classes);
  const auto probs = sigmoid(test_scores);
  std::vector<Column> cols(n_classes);
  const Strata all_rows{[&] {  // one stratum: a plain row bootstrap, for Brier / ECE
    std::vector<std::size_t> v(std::size_t(r.n_test));
    std::iota(v.begin(), v.end(), 0);
    return v;
  }()};
  for (int c = 0; c < n_classes; ++c) {
    cols[c] = {column(test_scores, n_classes, c), column(probs, n_classes, c),
               column(test_labels, n_classes, c), thresholds[c]};
    TrustClass tc;
    tc.threshold = thresholds[c];
    tc.at_threshold = threshold_metrics(cols[c].s, cols[c].y, thresholds[c]);
    tc.n_pos = tc.at_threshold.tp + tc.at_threshold.fn;
    tc.n_neg = tc.at_threshold.tn + tc.at_threshold.fp;
    if (tc.n_pos == 0 || tc.n_neg == 0) r.excluded.push_back(c);
    const auto& col = cols[c];
    const std::uint64_t class_seed = mix(options.seed ^ mix(std::uint64_t(c) + 1));
    tc.m = unpack(stratified_bootstrap(
        strata_by_label(col.y),
        [&](const std::vector<std::size_t>& rows) { return class_metrics(col, rows, options.n_bins, false); },
        options.n_resamples, options.level, class_seed));
    const auto cal = stratified_bootstrap(
        all_rows, [&](const std::vector<std::size_t>& rows) { return calibration_metrics({&col}, rows, options.n_bins); },
        options.n_resamples, options.level, mix(class_seed));
    tc.m.brier = cal[0];
    tc.m.ece = cal[1];
    r.per_class.push_back(std::move(tc));
  }
  r.macro = unpack(stratified_bootstrap(
      strata_by_pattern(test_labels, n_classes, options.min_stratum),
      [&](const std::vector<std::size_t>& rows) { return macro_metrics(cols, rows, options.n_bins); },
      options.n_resamples, options.level, options.seed));
  std::vector<const Column*> every;
  for (const auto& c : cols) every.push_back(&c);
  const auto cal = stratified_bootstrap(
      all_rows, [&](const std::vector<std::size_t>& rows) { return calibration_metrics(every, rows, options.n_bins); },
      options.n_resamples, options.level, mix(options.seed));
  r.macro.brier = cal[0];
  r.macro.ece = cal[1];
  r.temperature = fit_temperature_binary(val_scores, val_labels);
  const auto scaled = sigmoid(test_scores, r.temperature.temperature);
  double brier = 0, ece = 0;
  for (int c = 0; c < n_classes; ++c) {
    const auto p = column(scaled, n_classes, c);
    brier += brier_score(p, cols[c].y);
    ece += expected_calibration_error(p, cols[c].y, options.n_bins);
  }
  r.macro_brier_scaled = brier / n_classes;
  r.macro_ece_scaled = ece / n_classes;
  return r;
}

nlohmann::json trust_report_json(const TrustReport& r, const std::vector<std::string>& class_names) {
  nlohmann::json j;
  j["n_val"] = r.n_val;
  j["n_test"] = r.n_test;
  j["level"] = r.options.level;
  j["n_resamples"] = r.options.n_resamples;
  j["seed"] = r.options.seed;
  j["n_bins"] = r.options.n_bins;
  j["threshold_rule"] = "per class, max F1 on validation; predict positive when logit >= threshold";
  j["bootstrap"] = "AUROC, AUPRC, F1, sensitivity, specificity: per class stratified by label, macro "
                   "stratified by label pattern (patterns with < " +
                   std::to_string(r.options.min_stratum) + " rows pooled); Brier, ECE: plain row "
                   "bootstrap; percentile intervals";
  j["excluded"] = r.excluded;
  j["temperature"] = {{"T", r.temperature.temperature}, {"at_bound", r.temperature.at_bound},
                      {"val_nll_at_1", r.temperature.nll_at_1}, {"val_nll", r.temperature.nll},
                      {"macro_brier", r.macro_brier_scaled}, {"macro_ece", r.macro_ece_scaled}};
  j["macro"] = metrics_json(r.macro);
  j["per_class"] = nlohmann::json::array();
  for (std::size_t c = 0; c < r.per_class.size(); ++c) {
    const auto& pc = r.per_class[c];
    auto e = metrics_json(pc.m);
    e["name"] = c < class_names.size() ? class_names[c] : std::to_string(c);
    e["threshold"] = num(pc.threshold);
    e["tp"] = pc.at_threshold.tp;
    e["fp"] = pc.at_threshold.fp;
    e["tn"] = pc.at_threshold.tn;
    e["fn"] = pc.at_threshold.fn;
    e["n_pos"] = pc.n_pos;
    j["per_class"].push_back(std::move(e));
  }
  return j;
}

const std::vector<std::string>& trust_metric_names() {
  static const std::vector<std::string> names(kNames, kNames + kN);
  return names;
}

std::vector<std::string> trust_metric_cells(const TrustMetrics& m) {
  std::vector<std::string> out;
  for (int k = 0; k < kN; ++k) out.push_back(cell(field(m, k)));
  return out;
}

std::string trust_report_markdown(const TrustReport& r, const std::vector<std::string>& class_names) {
  std::string out = "| class | n_pos | threshold (val) |";
  for (int k = 0; k < kN; ++k) out += std::string(" ") + kNames[k] + " |";
  out += "\n|---|---:|---:|";
  for (int k = 0; k < kN; ++k) out += "---:|";
  out += "\n";
  char buf[64];
  for (std::size_t c = 0; c < r.per_class.size(); ++c) {
    const auto& pc = r.per_class[c];
    std::snprintf(buf, sizeof buf, "%.4g", pc.threshold + 0.0);  // + 0.0: no "-0"
    out += "| " + (c < class_names.size() ? class_names[c] : std::to_string(c)) + " | " +
           std::to_string(pc.n_pos) + " | " + (std::isinf(pc.threshold) ? "never" : buf) + " |";
    for (int k = 0; k < kN; ++k) out += " " + cell(field(pc.m, k)) + " |";
    out += "\n";
  }
  out += "| **macro** | | |";
  for (int k = 0; k < kN; ++k) out += " " + cell(field(r.macro, k)) + " |";
  std::snprintf(buf, sizeof buf, "%.0f", r.options.level * 100);
  out += "\n\n" + std::string(buf) + " % bootstrap intervals (stratified by label; Brier / ECE by rows), " +
         std::to_string(r.options.n_resamples) + " resamples; thresholds chosen on validation; "
         "Brier/ECE (" + std::to_string(r.options.n_bins) + " bins) of sigmoid(logits).\n";
  return out;
}

}  // namespace cgdmer
