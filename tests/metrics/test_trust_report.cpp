// Tests of the stratified bootstrap and the trust report: the report's points against the
// sklearn fixture (trust_cases.json, same tolerances as test_trust.cpp: 1e-12, temperature
// 1e-9 relative), and properties of the intervals — stratified resamples always hold both
// labels with the original counts, an interval contains its point, a perfect classifier's
// AUROC is 1 with the degenerate interval [1, 1], the same seed gives the same interval.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "metrics/roc_auc.h"
#include "metrics/stratified_bootstrap.h"
#include "metrics/trust_report.h"

using namespace cgdmer;
using nlohmann::json;

namespace {

constexpr double kTol = 1e-12;

json load_trust() {
  std::ifstream f(std::string(CGDMER_SOURCE_DIR) + "/tests/fixtures/metrics/trust_cases.json");
  EXPECT_TRUE(f.good());
  return json::parse(f);
}

TrustReport report_of(const json& c, TrustOptions o = {}) {
  return trust_report(c["val_logits"].get<std::vector<double>>(),
                      c["val_labels"].get<std::vector<std::uint8_t>>(),
                      c["test_logits"].get<std::vector<double>>(),
                      c["test_labels"].get<std::vector<std::uint8_t>>(), c["n_classes"], o);
}

void expect_close_or_nan(double got, const json& want, const char* what) {
  if (want.is_null()) {
    EXPECT_TRUE(std::isnan(got)) << what << " should be undefined, is " << got;
  } else {
    EXPECT_NEAR(got, want.get<double>(), kTol) << what;
  }
}

}  // namespace

TEST(StratifiedBootstrap, ByLabelKeepsBothLabelsAndTheirCounts) {
  std::vector<std::uint8_t> y(50, 0);
  y[3] = y[17] = y[40] = 1;
  const auto strata = strata_by_label(y);
  ASSERT_EQ(strata.size(), 2u);
  std::mt19937_64 rng(1);
  for (int b = 0; b < 500; ++b) {
    const auto rows = stratified_resample(strata, rng);
    ASSERT_EQ(rows.size(), 50u);
    long pos = 0;
    for (auto i : rows) pos += y[i];
    ASSERT_EQ(pos, 3) << "resample " << b;
  }
  EXPECT_EQ(strata_by_label({0, 0, 0}).size(), 1u);  // one label only: one stratum
}

TEST(StratifiedBootstrap, ByPatternPartitionsRowsAndKeepsCommonPatternCounts) {
  // 4 patterns: (1,0) ×6, (0,1) ×6, (1,1) ×2, (0,0) ×1 → the last two pooled at min_size 5.
  std::vector<std::uint8_t> y;
  auto add = [&](int a, int b, int times) {
    for (int i = 0; i < times; ++i) y.push_back(std::uint8_t(a)), y.push_back(std::uint8_t(b));
  };
  add(1, 0, 6);
  add(0, 1, 6);
  add(1, 1, 2);
  add(0, 0, 1);
  const auto strata = strata_by_pattern(y, 2, 5);
  ASSERT_EQ(strata.size(), 3u);
  EXPECT_EQ(strata[2], (std::vector<std::size_t>{12, 13, 14}));
  std::vector<std::size_t> all;
  for (const auto& s : strata) all.insert(all.end(), s.begin(), s.end());
  std::sort(all.begin(), all.end());
  std::vector<std::size_t> want(15);
  std::iota(want.begin(), want.end(), 0);
  EXPECT_EQ(all, want);
  // Unpooled (min_size 1): every resample has exactly the original per-class counts.
  const auto exact = strata_by_pattern(y, 2, 1);
  EXPECT_EQ(exact.size(), 4u);
  std::mt19937_64 rng(2);
  for (int b = 0; b < 200; ++b) {
    const auto rows = stratified_resample(exact, rng);
    long p0 = 0, p1 = 0;
    for (auto i : rows) p0 += y[2 * i], p1 += y[2 * i + 1];
    ASSERT_EQ(p0, 8);
    ASSERT_EQ(p1, 8);
  }
  EXPECT_THROW(strata_by_pattern(y, 4), ConfigError);
}

TEST(StratifiedBootstrap, GenericCallbackSeededAndChecked) {
  std::mt19937_64 g(3);
  std::vector<double> x(80);
  std::vector<std::uint8_t> y(80);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = double(g() % 1000) / 1000, y[i] = g() % 4 == 0;
  const auto strata = strata_by_label(y);
  auto mean_and_const = [&](const std::vector<std::size_t>& rows) {
    double s = 0;
    for (auto i : rows) s += x[i];
    return std::vector<double>{s / double(rows.size()), 7.0, std::nan("")};
  };
  const auto a = stratified_bootstrap(strata, mean_and_const, 300, 0.95, 11);
  const auto b = stratified_bootstrap(strata, mean_and_const, 300, 0.95, 11);
  const auto d = stratified_bootstrap(strata, mean_and_const, 300, 0.95, 12);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].low, b[0].low);
  EXPECT_EQ(a[0].high, b[0].high);
  EXPECT_NE(a[0].low, d[0].low);
  EXPECT_LT(a[0].low, a[0].point);
  EXPECT_GT(a[0].high, a[0].point);
  EXPECT_EQ(a[1].low, 7.0);  // a constant has a degenerate interval
  EXPECT_EQ(a[1].high, 7.0);
  EXPECT_EQ(a[0].n_resamples, 300);
  EXPECT_EQ(a[2].n_resamples, 0);  // never defined → NaN interval
  EXPECT_TRUE(std::isnan(a[2].low));
  EXPECT_THROW(stratified_bootstrap({{0, 1}, {1}}, mean_and_const), ConfigError);  // not a partition
  EXPECT_THROW(stratified_bootstrap(strata, mean_and_const, 0), ConfigError);
}

TEST(TrustReport, PointsMatchSklearnFixture) {
  const json fx = load_trust();
  TrustOptions o;
  o.n_resamples = 50;  // points do not depend on the resamples
  for (const auto& c : fx["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const auto r = report_of(c, o);
    const int C = c["n_classes"];
    ASSERT_EQ(int(r.per_class.size()), C);
    std::vector<int> excluded;
    for (int k = 0; k < C; ++k)
      if (!std::count(c["included"].begin(), c["included"].end(), k)) excluded.push_back(k);
    EXPECT_EQ(r.excluded, excluded);
    for (int k = 0; k < C; ++k) {
      SCOPED_TRACE("class " + std::to_string(k));
      const auto& e = c["per_class"][k];
      const auto& m = r.per_class[k].m;
      const bool any_pos = r.per_class[k].n_pos > 0, any_neg = r.per_class[k].n_neg > 0;
      expect_close_or_nan(m.auroc.point, e["auroc"], "auroc");
      expect_close_or_nan(m.auprc.point, (any_pos && any_neg) ? e["ap"] : json(), "auprc");
      expect_close_or_nan(m.f1.point, any_pos ? e["f1"] : json(), "f1");
      expect_close_or_nan(m.sensitivity.point, any_pos ? e["recall"] : json(), "sensitivity");
      expect_close_or_nan(m.specificity.point, any_neg ? e["specificity"] : json(), "specificity");
      EXPECT_NEAR(m.brier.point, e["brier"].get<double>(), kTol);
      EXPECT_NEAR(m.ece.point, e["ece"].get<double>(), kTol);
      EXPECT_EQ(r.per_class[k].at_threshold.tp, e["tp"].get<long>());
      EXPECT_EQ(r.per_class[k].at_threshold.fp, e["fp"].get<long>());
    }
    EXPECT_NEAR(r.macro.auroc.point, c["macro_auroc"].get<double>(), kTol);
    EXPECT_NEAR(r.macro.auprc.point, c["macro_ap"].get<double>(), kTol);
    EXPECT_NEAR(r.macro.f1.point, c["macro_f1"].get<double>(), kTol);
    EXPECT_NEAR(r.macro.sensitivity.point, c["macro_sensitivity"].get<double>(), kTol);
    EXPECT_NEAR(r.macro.specificity.point, c["macro_specificity"].get<double>(), kTol);
    EXPECT_NEAR(r.macro.brier.point, c["macro_brier"].get<double>(), kTol);
    EXPECT_NEAR(r.macro.ece.point, c["macro_ece"].get<double>(), kTol);
    EXPECT_NEAR(r.temperature.temperature / c["temperature"]["T"].get<double>(), 1.0, 1e-9);
  }
}

TEST(TrustReport, IntervalsContainPointsAndAreReproducible) {
  const json fx = load_trust();
  TrustOptions o;
  o.n_resamples = 300;
  o.seed = 5;
  const auto& c = fx["cases"][0];  // ties and edge classes
  const auto r = report_of(c, o);
  const auto r2 = report_of(c, o);
  o.seed = 6;
  const auto r3 = report_of(c, o);
  auto check = [&](const TrustMetrics& m, const TrustMetrics& m2, const std::string& where) {
    // ECE is left out of "contains": resampling adds noise that only ever raises a
    // |mean p − frac pos| gap, so the bootstrap ECE distribution sits above the point.
    for (const BootstrapCi* ci : {&m.auroc, &m.auprc, &m.f1, &m.sensitivity, &m.specificity, &m.brier}) {
      if (std::isnan(ci->point)) {
        EXPECT_TRUE(std::isnan(ci->low)) << where;
        continue;
      }
      EXPECT_LE(ci->low, ci->point) << where;
      EXPECT_GE(ci->high, ci->point) << where;
    }
    EXPECT_LE(m.ece.low, m.ece.high) << where;
    auto same = [](double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); };
    EXPECT_TRUE(same(m.auroc.low, m2.auroc.low)) << where;
    EXPECT_TRUE(same(m.f1.high, m2.f1.high)) << where;
    EXPECT_EQ(m.ece.high, m2.ece.high) << where;
  };
  for (std::size_t k = 0; k < r.per_class.size(); ++k)
    check(r.per_class[k].m, r2.per_class[k].m, "class " + std::to_string(k));
  check(r.macro, r2.macro, "macro");
  EXPECT_NE(r.macro.auroc.low, r3.macro.auroc.low);
  // Classes with both labels: stratified resamples always define AUROC.
  EXPECT_EQ(r.per_class[0].m.auroc.n_resamples, 300);
  EXPECT_EQ(r.per_class[2].m.auroc.n_resamples, 300);
  // All-equal scores (class 2): AUROC 0.5 in every resample.
  EXPECT_EQ(r.per_class[2].m.auroc.low, 0.5);
  EXPECT_EQ(r.per_class[2].m.auroc.high, 0.5);
  // No positive in test (class 3): AUROC, AUPRC, F1, sensitivity undefined, specificity not.
  const auto& m3 = r.per_class[3].m;
  EXPECT_TRUE(std::isnan(m3.auroc.point) && std::isnan(m3.auprc.point) && std::isnan(m3.f1.point) &&
              std::isnan(m3.sensitivity.point));
  EXPECT_TRUE(std::isfinite(m3.specificity.point) && std::isfinite(m3.specificity.low));
  EXPECT_TRUE(std::isnan(r.per_class[5].m.specificity.point));  // no negative in test
  EXPECT_TRUE(std::isinf(r.per_class[4].threshold));            // no positive in validation
}

TEST(TrustReport, PerfectClassifierHasDegenerateIntervals) {
  std::mt19937_64 g(9);
  const int C = 3, nv = 60, nt = 90;
  // Positives score ≥ 2, negatives < −1; validation positives all at 2, so the max-F1
  // threshold chosen there (2) also separates test.
  auto make = [&](int n, bool val, std::vector<double>& z, std::vector<std::uint8_t>& y) {
    for (int i = 0; i < n * C; ++i) {
      y.push_back(std::uint8_t(g() % 3 == 0));
      const double noise = double(g() % 100) / 100;
      z.push_back(y.back() ? (val ? 2.0 : 2.0 + noise) : -2.0 + noise);
    }
  };
  std::vector<double> zv, zt;
  std::vector<std::uint8_t> yv, yt;
  make(nv, true, zv, yv);
  make(nt, false, zt, yt);
  TrustOptions o;
  o.n_resamples = 200;
  const auto r = trust_report(zv, yv, zt, yt, C, o);
  for (const auto* m : {&r.per_class[0].m, &r.per_class[1].m, &r.per_class[2].m, &r.macro}) {
    EXPECT_EQ(m->auroc.point, 1.0);
    EXPECT_EQ(m->auroc.low, 1.0);
    EXPECT_EQ(m->auroc.high, 1.0);
    EXPECT_EQ(m->auprc.low, 1.0);
    EXPECT_EQ(m->f1.low, 1.0);  // the validation threshold separates test too
    EXPECT_EQ(m->sensitivity.high, 1.0);
    EXPECT_EQ(m->specificity.low, 1.0);
  }
  EXPECT_TRUE(r.temperature.at_bound);  // separable validation: T → its lower bound
  EXPECT_TRUE(r.excluded.empty());
}

// Brier / ECE resample plain rows: a constant predictor's Brier depends only on the
// prevalence, which a label-stratified resample would freeze (interval = point).
TEST(TrustReport, CalibrationIntervalsResampleThePrevalence) {
  std::mt19937_64 g(4);
  std::vector<double> zv, zt;
  std::vector<std::uint8_t> yv, yt;
  for (int i = 0; i < 200; ++i) {
    yv.push_back(std::uint8_t(g() % 4 == 0));
    zv.push_back(yv.back() ? 1.0 : -1.0);
    yt.push_back(std::uint8_t(g() % 4 == 0));
    zt.push_back(-1.0);  // constant test logit
  }
  TrustOptions o;
  o.n_resamples = 300;
  const auto r = trust_report(zv, yv, zt, yt, 1, o);
  const auto& b = r.per_class[0].m.brier;
  EXPECT_GT(b.high - b.low, 0.01) << b.low << " " << b.high;
  EXPECT_LE(b.low, b.point);
  EXPECT_GE(b.high, b.point);
  EXPECT_EQ(r.per_class[0].m.auroc.low, 0.5);  // ranking metrics stay label-stratified
  EXPECT_EQ(r.per_class[0].m.auroc.high, 0.5);
  EXPECT_GT(r.macro.brier.high - r.macro.brier.low, 0.01);
}

TEST(TrustReport, JsonAndMarkdown) {
  const json fx = load_trust();
  TrustOptions o;
  o.n_resamples = 40;
  const auto r = report_of(fx["cases"][0], o);
  const auto j = trust_report_json(r, {"A", "B", "C", "D", "E", "F"});
  EXPECT_EQ(j["per_class"].size(), 6u);
  EXPECT_EQ(j["per_class"][3]["name"], "D");
  EXPECT_TRUE(j["per_class"][3]["auroc"]["point"].is_null());
  EXPECT_TRUE(j["per_class"][4]["threshold"].is_null());  // +inf
  EXPECT_EQ(j["per_class"][3]["n_pos"], 0);
  EXPECT_NEAR(j["macro"]["auroc"]["point"].get<double>(), fx["cases"][0]["macro_auroc"].get<double>(), kTol);
  EXPECT_EQ(j["macro"]["auroc"]["n"], 40);
  EXPECT_EQ(j["excluded"], json::array({3, 5}));
  EXPECT_EQ(j["n_bins"], 15);
  const auto md = trust_report_markdown(r, {"A", "B", "C", "D", "E", "F"});
  EXPECT_NE(md.find("| **macro** |"), std::string::npos) << md;
  EXPECT_NE(md.find("| E | "), std::string::npos) << md;
  EXPECT_NE(md.find("never"), std::string::npos) << md;  // class E's +inf threshold
  EXPECT_THROW(trust_report({0.1}, {1}, {0.1, 0.2}, {1}, 1), ConfigError);
}
