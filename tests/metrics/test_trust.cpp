// Tests of the "metrics you can trust" code (average precision, metrics at a threshold chosen
// on validation, Brier / ECE, temperature scaling) against scikit-learn 1.2.1 / numpy / scipy
// fixtures (tools/make_metrics_trust_fixture.py → tests/fixtures/metrics/trust_cases.json).
//
// Tolerances: 1e-12 absolute where both sides do the same finite float64 sums (AP, Brier,
// calibration bins, ECE; only summation order and sigmoid's last ulp differ); exact equality
// for counts and thresholds (values copied from the data); temperature 1e-9 relative (both
// sides locate the root of a monotone derivative to ~1e-15, but that derivative is itself a
// rounded mean, flat to ~1e-16 over a band of T) and its NLL 1e-12.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "metrics/average_precision.h"
#include "metrics/calibration.h"
#include "metrics/temperature.h"
#include "metrics/threshold_metrics.h"

using namespace cgdmer;
using nlohmann::json;

namespace {

constexpr double kTol = 1e-12;

json load_trust() {
  std::ifstream f(std::string(CGDMER_SOURCE_DIR) + "/tests/fixtures/metrics/trust_cases.json");
  EXPECT_TRUE(f.good());
  return json::parse(f);
}

struct Case {
  std::string name;
  int C = 0;
  std::vector<double> zv, zt;
  std::vector<std::uint8_t> yv, yt;
  const json* j = nullptr;
};

std::vector<Case> cases(const json& fx) {
  std::vector<Case> out;
  for (const auto& c : fx["cases"]) {
    Case k;
    k.name = c["name"];
    k.C = c["n_classes"];
    k.zv = c["val_logits"].get<std::vector<double>>();
    k.zt = c["test_logits"].get<std::vector<double>>();
    k.yv = c["val_labels"].get<std::vector<std::uint8_t>>();
    k.yt = c["test_labels"].get<std::vector<std::uint8_t>>();
    k.j = &c;
    out.push_back(std::move(k));
  }
  return out;
}

}  // namespace

TEST(AveragePrecision, MatchesSklearnPerClassAndMacroWithTies) {
  const json fx = load_trust();
  for (const auto& k : cases(fx)) {
    SCOPED_TRACE(k.name);
    for (int c = 0; c < k.C; ++c) {
      const auto& e = (*k.j)["per_class"][c]["ap"];
      const auto s = column(k.zt, k.C, c);
      const auto y = column(k.yt, k.C, c);
      if (e.is_null()) {
        EXPECT_THROW(average_precision(s, y), ConfigError) << "class " << c;
      } else {
        EXPECT_NEAR(average_precision(s, y), e.get<double>(), kTol) << "class " << c;
      }
    }
    const auto m = macro_average_precision(k.zt, k.yt, k.C);
    EXPECT_NEAR(m.macro, (*k.j)["macro_ap"].get<double>(), kTol);
    std::vector<int> included;
    for (int c = 0; c < k.C; ++c)
      if (std::find(m.excluded.begin(), m.excluded.end(), c) == m.excluded.end()) included.push_back(c);
    EXPECT_EQ(included, (*k.j)["included"].get<std::vector<int>>());
  }
}

TEST(AveragePrecision, StepwiseNotTrapezoid) {
  // sklearn docs: average_precision_score([0,0,1,1], [0.1,0.4,0.35,0.8]) = 0.8333…
  EXPECT_NEAR(average_precision({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}), 5.0 / 6.0, 1e-15);
  // All scores tied: one PR point, AP = prevalence.
  EXPECT_DOUBLE_EQ(average_precision({0.3, 0.3, 0.3, 0.3}, {1, 0, 0, 0}), 0.25);
  EXPECT_DOUBLE_EQ(average_precision({0.1, 0.2, 0.8, 0.9}, {0, 0, 1, 1}), 1.0);
  EXPECT_THROW(average_precision({0.1, 0.2}, {0, 0}), ConfigError);
  EXPECT_THROW(average_precision({0.1}, {0, 1}), ConfigError);
}

TEST(ThresholdMetrics, ValidationThresholdsAppliedToTestMatchSklearn) {
  const json fx = load_trust();
  for (const auto& k : cases(fx)) {
    SCOPED_TRACE(k.name);
    const auto thr = choose_thresholds_on_validation(k.zv, k.yv, k.C);
    const auto got = apply_thresholds(k.zt, k.yt, k.C, thr);
    for (int c = 0; c < k.C; ++c) {
      SCOPED_TRACE("class " + std::to_string(c));
      const auto& e = (*k.j)["per_class"][c];
      if (e["threshold"].is_null()) {  // no positive in validation → never predict positive
        EXPECT_TRUE(std::isinf(thr[c]) && thr[c] > 0);
      } else {
        EXPECT_EQ(thr[c], e["threshold"].get<double>());
      }
      EXPECT_EQ(got[c].tp, e["tp"].get<long>());
      EXPECT_EQ(got[c].fp, e["fp"].get<long>());
      EXPECT_EQ(got[c].tn, e["tn"].get<long>());
      EXPECT_EQ(got[c].fn, e["fn"].get<long>());
      EXPECT_NEAR(got[c].precision, e["precision"].get<double>(), kTol);
      EXPECT_NEAR(got[c].sensitivity, e["recall"].get<double>(), kTol);
      EXPECT_NEAR(got[c].specificity, e["specificity"].get<double>(), kTol);
      EXPECT_NEAR(got[c].f1, e["f1"].get<double>(), kTol);
    }
  }
}

TEST(ThresholdMetrics, ZeroDivisionIsZeroAndThresholdIsInclusive) {
  // score >= threshold is positive.
  auto m = threshold_metrics({0.2, 0.5, 0.7}, {0, 1, 1}, 0.5);
  EXPECT_EQ(m.tp, 2);
  EXPECT_EQ(m.tn, 1);
  EXPECT_DOUBLE_EQ(m.f1, 1.0);
  // Nothing predicted positive and no positive: every ratio with a zero denominator is 0.
  m = threshold_metrics({0.2, 0.3}, {0, 0}, 0.9);
  EXPECT_EQ(m.precision, 0.0);
  EXPECT_EQ(m.sensitivity, 0.0);
  EXPECT_EQ(m.f1, 0.0);
  EXPECT_EQ(m.specificity, 1.0);
  m = threshold_metrics({0.2, 0.3}, {1, 1}, 0.0);
  EXPECT_EQ(m.specificity, 0.0);  // no negative
  EXPECT_EQ(m.f1, 1.0);
  EXPECT_THROW(threshold_metrics({0.2}, {0, 1}, 0.5), ConfigError);
  EXPECT_THROW(apply_thresholds({0.2, 0.3}, {0, 1}, 2, {0.5}), ConfigError);
}

TEST(Calibration, BrierBinsAndEceMatchSklearnAndNumpy) {
  const json fx = load_trust();
  ASSERT_EQ(fx["meta"]["n_bins"].get<int>(), 15);
  for (const auto& k : cases(fx)) {
    SCOPED_TRACE(k.name);
    const auto p = sigmoid(k.zt);
    for (int c = 0; c < k.C; ++c) {
      SCOPED_TRACE("class " + std::to_string(c));
      const auto& e = (*k.j)["per_class"][c];
      const auto pc = column(p, k.C, c);
      const auto y = column(k.yt, k.C, c);
      EXPECT_NEAR(brier_score(pc, y), e["brier"].get<double>(), kTol);
      const auto b = calibration_bins(pc, y);  // default 15 bins
      const auto pt = e["calib_prob_true"].get<std::vector<double>>();
      const auto pp = e["calib_prob_pred"].get<std::vector<double>>();
      ASSERT_EQ(b.bin, e["calib_bins"].get<std::vector<int>>());
      ASSERT_EQ(b.count, e["calib_counts"].get<std::vector<long>>());
      for (std::size_t i = 0; i < pt.size(); ++i) {
        EXPECT_NEAR(b.frac_pos[i], pt[i], kTol);
        EXPECT_NEAR(b.mean_prob[i], pp[i], kTol);
      }
      EXPECT_NEAR(expected_calibration_error(pc, y), e["ece"].get<double>(), kTol);
    }
  }
}

TEST(Calibration, KnownValuesEdgesAndErrors) {
  EXPECT_DOUBLE_EQ(brier_score({1, 0, 1}, {1, 0, 1}), 0.0);
  EXPECT_DOUBLE_EQ(brier_score({0.5, 0.5}, {1, 0}), 0.25);
  // Perfectly calibrated within bins: 0.25 four times with one positive → ECE 0.
  EXPECT_DOUBLE_EQ(expected_calibration_error({0.25, 0.25, 0.25, 0.25}, {1, 0, 0, 0}), 0.0);
  // A value on an inner edge (here 0.5 with 2 bins) falls in the lower bin, like searchsorted.
  const auto b = calibration_bins({0.5, 0.0, 1.0}, {1, 0, 1}, 2);
  EXPECT_EQ(b.bin, (std::vector<int>{0, 1}));
  EXPECT_EQ(b.count, (std::vector<long>{2, 1}));
  // Always-wrong confident predictions: ECE 1.
  EXPECT_DOUBLE_EQ(expected_calibration_error({1.0, 0.0}, {0, 1}), 1.0);
  EXPECT_THROW(brier_score({1.5}, {1}), ConfigError);      // a logit, not a probability
  EXPECT_THROW(expected_calibration_error({-0.1}, {0}), ConfigError);
  EXPECT_THROW(brier_score({NAN}, {0}), ConfigError);
  EXPECT_THROW(brier_score({}, {}), ConfigError);
}

TEST(Temperature, BinaryFitMatchesScipy) {
  const json fx = load_trust();
  for (const auto& k : cases(fx)) {
    SCOPED_TRACE(k.name);
    const auto& e = (*k.j)["temperature"];
    const auto f = fit_temperature_binary(k.zv, k.yv);
    EXPECT_NEAR(f.temperature / e["T"].get<double>(), 1.0, 1e-9);
    EXPECT_NEAR(f.nll, e["nll"].get<double>(), kTol);
    EXPECT_NEAR(f.nll_at_1, e["nll_at_1"].get<double>(), kTol);
    EXPECT_LE(f.nll, f.nll_at_1);
    EXPECT_FALSE(f.at_bound);
    // A minimum: nudging T either way does not lower the NLL.
    EXPECT_GE(binary_nll(k.zv, k.yv, f.temperature * 1.001), f.nll);
    EXPECT_GE(binary_nll(k.zv, k.yv, f.temperature / 1.001), f.nll);
  }
}

TEST(Temperature, SoftmaxFitMatchesScipy) {
  const json fx = load_trust();
  ASSERT_EQ(fx["softmax"].size(), 2u);
  for (const auto& e : fx["softmax"]) {
    const auto z = e["logits"].get<std::vector<double>>();
    const auto t = e["targets"].get<std::vector<int>>();
    const int K = e["n_classes"];
    const auto f = fit_temperature_softmax(z, t, K);
    EXPECT_NEAR(f.temperature / e["T"].get<double>(), 1.0, 1e-9);
    EXPECT_NEAR(f.nll, e["nll"].get<double>(), kTol);
    EXPECT_NEAR(f.nll_at_1, e["nll_at_1"].get<double>(), kTol);
    EXPECT_FALSE(f.at_bound);
  }
}

TEST(Temperature, SeparableAndAntiCorrelatedHitTheBracket) {
  // Separable: sharper is always better → T at the lower end.
  auto f = fit_temperature_binary({-2, -1, 1, 2}, {0, 0, 1, 1});
  EXPECT_TRUE(f.at_bound);
  EXPECT_DOUBLE_EQ(f.temperature, 1e-3);
  // Logits point the wrong way: flattest is best → T at the upper end.
  f = fit_temperature_binary({2, 1, -1, -2}, {0, 0, 1, 1});
  EXPECT_TRUE(f.at_bound);
  EXPECT_DOUBLE_EQ(f.temperature, 1e3);
  EXPECT_THROW(fit_temperature_binary({1.0}, {0, 1}), ConfigError);
  EXPECT_THROW(fit_temperature_softmax({1, 2, 3}, {0}, 2), ConfigError);
  EXPECT_THROW(fit_temperature_softmax({1, 2}, {2}, 2), ConfigError);
  // sigmoid is stable at extreme logits.
  const auto p = sigmoid({-1000, 0, 1000});
  EXPECT_EQ(p[0], 0.0);
  EXPECT_EQ(p[1], 0.5);
  EXPECT_EQ(p[2], 1.0);
}
