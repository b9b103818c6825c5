// Tests of src/metrics against scikit-learn 1.2.1 fixtures (tools/make_metrics_fixture.py)
// and against the O(N²) pairwise reference.
//
// Tolerance 1e-12 (absolute): both sides compute the same trapezoid sums in float64 over the
// same points; only summation order differs (sklearn: np.trapz over arrays, ours: a running
// sum; sklearn also drops collinear points first), which moves results by a few ulps of
// values ≤ 1 — far below 1e-12, yet any wrong tie handling changes AUC by ≥ 1/(P·N) ≈ 1e-5.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "metrics/bootstrap.h"
#include "metrics/max_f1.h"
#include "metrics/roc_auc.h"
#include "metrics/trustworthiness.h"

using namespace cgdmer;
using nlohmann::json;

namespace {

json load_fixture(const std::string& name) {
  std::ifstream f(std::string(CGDMER_SOURCE_DIR) + "/tests/fixtures/metrics/" + name);
  EXPECT_TRUE(f.good()) << name;
  return json::parse(f);
}

constexpr double kTol = 1e-12;

}  // namespace

TEST(RocAuc, MatchesSklearnPerClassAndMacroWithTies) {
  const json fx = load_fixture("auc_cases.json");
  ASSERT_EQ(fx["cases"].size(), 3u);
  for (const auto& c : fx["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const int C = c["n_classes"];
    const auto scores = c["scores"].get<std::vector<double>>();
    const auto labels = c["labels"].get<std::vector<std::uint8_t>>();
    const auto r = macro_roc_auc(scores, labels, C);
    EXPECT_NEAR(r.macro, c["macro_auc"].get<double>(), kTol);
    EXPECT_EQ(r.excluded, c["excluded"].get<std::vector<int>>());
    for (int k = 0; k < C; ++k) {
      if (c["per_class_auc"][k].is_null()) {
        EXPECT_TRUE(std::isnan(r.per_class[k]));
      } else {
        EXPECT_NEAR(r.per_class[k], c["per_class_auc"][k].get<double>(), kTol) << "class " << k;
      }
    }
  }
}

TEST(RocAuc, ExcludedClassesAreNamedInTheWarning) {
  const json fx = load_fixture("auc_cases.json");
  const auto& c = fx["cases"][2];
  const auto labels = c["labels"].get<std::vector<std::uint8_t>>();
  const auto r = macro_roc_auc(c["scores"].get<std::vector<double>>(), labels, 4);
  const auto msg = describe_excluded(labels, 4, r.excluded, {"A", "B", "C", "D"});
  EXPECT_NE(msg.find("B (no positive)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("D (no negative)"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("A "), std::string::npos) << msg;
}

TEST(RocAuc, FastEqualsPairwiseReferenceOnRandomTies) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    const int n = 5 + int(rng() % 300);
    const int levels = 1 + int(rng() % 20);  // few levels → heavy ties
    std::vector<double> s(n);
    std::vector<std::uint8_t> y(n);
    for (int i = 0; i < n; ++i) {
      s[i] = double(rng() % levels) / 3.0;
      y[i] = std::uint8_t(rng() % 3 == 0);
    }
    y[0] = 1;
    y[1] = 0;
    EXPECT_NEAR(roc_auc(s, y), roc_auc_pairwise(s, y), 1e-12) << "trial " << trial;
  }
}

TEST(RocAuc, KnownValuesAndErrors) {
  // Perfect, inverted, all tied.
  EXPECT_DOUBLE_EQ(roc_auc({0.1, 0.2, 0.8, 0.9}, {0, 0, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(roc_auc({0.9, 0.8, 0.2, 0.1}, {0, 0, 1, 1}), 0.0);
  EXPECT_DOUBLE_EQ(roc_auc({0.5, 0.5, 0.5, 0.5}, {0, 1, 0, 1}), 0.5);
  // sklearn docs example: roc_auc_score([0,0,1,1],[0.1,0.4,0.35,0.8]) = 0.75.
  EXPECT_DOUBLE_EQ(roc_auc({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}), 0.75);
  EXPECT_THROW(roc_auc({0.1, 0.2}, {1, 1}), ConfigError);
  EXPECT_THROW(roc_auc({0.1}, {1, 0}), ConfigError);
  EXPECT_THROW(roc_auc({0.1, NAN}, {1, 0}), ConfigError);
}

TEST(RocCurve, MatchesSklearnDropIntermediateFalse) {
  const json fx = load_fixture("auc_cases.json");
  for (const auto& c : fx["cases"]) {
    const int C = c["n_classes"];
    const auto s = column(c["scores"].get<std::vector<double>>(), C, 0);
    const auto y = column(c["labels"].get<std::vector<std::uint8_t>>(), C, 0);
    const auto rc = roc_curve(s, y);
    const auto fpr = c["roc0"]["fpr"].get<std::vector<double>>();
    const auto tpr = c["roc0"]["tpr"].get<std::vector<double>>();
    const auto thr = c["roc0"]["thresholds"].get<std::vector<double>>();
    ASSERT_EQ(rc.fpr.size(), fpr.size());
    for (size_t i = 0; i < fpr.size(); ++i) {
      EXPECT_NEAR(rc.fpr[i], fpr[i], kTol);
      EXPECT_NEAR(rc.tpr[i], tpr[i], kTol);
    }
    EXPECT_TRUE(std::isinf(rc.thresholds[0]));
    for (size_t i = 0; i < thr.size(); ++i) EXPECT_EQ(rc.thresholds[i + 1], thr[i]);
  }
}

TEST(MaxF1, MatchesMerlPrCurveComputation) {
  const json fx = load_fixture("auc_cases.json");
  for (const auto& c : fx["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const int C = c["n_classes"];
    const auto scores = c["scores"].get<std::vector<double>>();
    const auto labels = c["labels"].get<std::vector<std::uint8_t>>();
    std::vector<double> per;
    macro_max_f1(scores, labels, C, &per);
    for (int k = 0; k < C; ++k) {
      EXPECT_NEAR(per[k], c["max_f1"][k].get<double>(), kTol) << "class " << k;
      const auto m = max_f1(column(scores, C, k), column(labels, C, k));
      EXPECT_EQ(m.threshold, c["max_f1_threshold"][k].get<double>()) << "class " << k;
    }
  }
}

TEST(Bootstrap, SeededIntervalBracketsPointAndIsReproducible) {
  const json fx = load_fixture("auc_cases.json");
  const auto& c = fx["cases"][1];
  const auto scores = c["scores"].get<std::vector<double>>();
  const auto labels = c["labels"].get<std::vector<std::uint8_t>>();
  const auto a = bootstrap_macro_auc(scores, labels, 12, 200, 0.95, 3);
  const auto b = bootstrap_macro_auc(scores, labels, 12, 200, 0.95, 3);
  const auto d = bootstrap_macro_auc(scores, labels, 12, 200, 0.95, 4);
  EXPECT_EQ(a.low, b.low);
  EXPECT_EQ(a.high, b.high);
  EXPECT_NE(a.low, d.low);
  EXPECT_NEAR(a.point, c["macro_auc"].get<double>(), kTol);
  EXPECT_LT(a.low, a.point);
  EXPECT_GT(a.high, a.point);
  // 500 rows, 12 classes: the 95 % interval of a macro AUC is a few hundredths wide.
  EXPECT_GT(a.high - a.low, 0.01);
  EXPECT_LT(a.high - a.low, 0.15);
  EXPECT_EQ(a.n_resamples, 200);
}

// Table 3's comparison: a model against itself differs by exactly 0 in every resample; a
// model whose scores are the reference's plus label-aligned signal is better with a CI above 0;
// one seed's mean is that seed's AUC.
TEST(Bootstrap, SeedMeanComparisonIsPaired) {
  const json fx = load_fixture("auc_cases.json");
  const auto& c = fx["cases"][1];
  const auto scores = c["scores"].get<std::vector<double>>();
  const auto labels = c["labels"].get<std::vector<std::uint8_t>>();
  std::vector<double> better(scores.size()), shuffled = scores;
  for (std::size_t i = 0; i < scores.size(); ++i) better[i] = scores[i] + 0.5 * labels[i];
  std::reverse(shuffled.begin(), shuffled.end());  // another "seed" of the reference
  const auto r = compare_seed_mean_aucs({{scores, shuffled}, {scores, shuffled}, {better}}, labels,
                                        12, 0, 200, 0.95, 5);
  ASSERT_EQ(r.model.size(), 3u);
  const double auc_ref = macro_roc_auc(scores, labels, 12).macro;
  const double auc_shuf = macro_roc_auc(shuffled, labels, 12).macro;
  EXPECT_NEAR(r.model[0].point, (auc_ref + auc_shuf) / 2, 1e-12);
  EXPECT_NEAR(r.model[2].point, macro_roc_auc(better, labels, 12).macro, 1e-12);
  EXPECT_EQ(r.diff[1].low, 0.0);  // identical runs: a zero difference in every resample
  EXPECT_EQ(r.diff[1].high, 0.0);
  EXPECT_EQ(r.p_not_above[1], 1.0);
  EXPECT_GT(r.diff[2].low, 0.0);  // better in every resample
  EXPECT_EQ(r.p_not_above[2], 0.0);
  EXPECT_LT(r.model[0].low, r.model[0].point);
  EXPECT_THROW(compare_seed_mean_aucs({{scores}}, labels, 12, 1), ConfigError);
}

TEST(Bootstrap, PercentileIsNumpyLinear) {
  // numpy.percentile([1,2,3,4], [0, 25, 50, 90, 100]) = [1, 1.75, 2.5, 3.7, 4].
  const std::vector<double> v{4, 1, 3, 2};
  EXPECT_DOUBLE_EQ(percentile(v, 0), 1);
  EXPECT_DOUBLE_EQ(percentile(v, 25), 1.75);
  EXPECT_DOUBLE_EQ(percentile(v, 50), 2.5);
  EXPECT_NEAR(percentile(v, 90), 3.7, 1e-15);
  EXPECT_DOUBLE_EQ(percentile(v, 100), 4);
}

TEST(Trustworthiness, MatchesSklearn) {
  const json fx = load_fixture("trustworthiness.json");
  const auto X = fx["X"].get<std::vector<double>>();
  const auto Y = fx["Y"].get<std::vector<double>>();
  EXPECT_NEAR(trustworthiness(X, fx["dx"], Y, fx["dy"], 5), fx["k5"].get<double>(), 1e-12);
  EXPECT_NEAR(trustworthiness(X, fx["dx"], Y, fx["dy"], 10), fx["k10"].get<double>(), 1e-12);
  EXPECT_DOUBLE_EQ(trustworthiness(X, fx["dx"], X, fx["dx"], 5), 1.0);
  EXPECT_THROW(trustworthiness(X, 10, Y, 2, 40), ConfigError);
}
