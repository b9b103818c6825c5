// t-SNE against scikit-learn 1.2.1 (tests/fixtures/eval/tsne.json, tools/make_tsne_fixture.py):
// joint probabilities P to 1e-5 relative (same binary search, but sklearn runs it on float32
// distances into a float32 conditional P — rounding ~1e-7 relative, and a float32 rounding can
// end the search (|entropy − log perplexity| ≤ 1e-5) one step apart), and embedding QUALITY within margins, since two t-SNE runs never match point for
// point (sklearn optimises in float32 and inits by randomized PCA):
//   trustworthiness(k=5, 10) ≥ sklearn's − 0.01 (sklearn exact: 0.954; a failed run scores
//   < 0.9 on these well-separated clusters), final KL ≤ sklearn's + 0.05 (0.268; a run stuck
//   in early exaggeration or with a wrong gradient is at > 0.5).
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "eval/tsne.h"
#include "metrics/trustworthiness.h"

using namespace cgdmer;

namespace {
nlohmann::json tsne_fixture() {
  std::ifstream f(std::string(CGDMER_SOURCE_DIR) + "/tests/fixtures/eval/tsne.json");
  EXPECT_TRUE(f.good());
  return nlohmann::json::parse(f);
}
}  // namespace

TEST(Tsne, JointProbabilitiesMatchSklearn) {
  const auto fx = tsne_fixture();
  const int n = fx["n"], d = fx["d"];
  const auto X = fx["X"].get<std::vector<double>>();
  const auto ref = fx["P_rows"].get<std::vector<double>>();
  const auto P = tsne_joint_probabilities(X, n, d, 30.0);
  double total = 0;
  for (double p : P) total += p;
  EXPECT_NEAR(total, 1.0, 1e-9);
  for (int k = 0; k < 3 * n; ++k) {
    if (k / n == k % n) continue;  // diagonal: sklearn's squareform gives 0, ours 0
    EXPECT_NEAR(P[k], ref[k], 1e-5 * ref[k] + 1e-15) << "entry " << k;
  }
}

TEST(Tsne, KlOfSklearnEmbeddingAgreesWithSklearn) {
  // Our KL on sklearn's own final embedding ≈ its reported kl_divergence_ (reported one
  // iteration before the last update, in float32: agreement to 1e-3).
  const auto fx = tsne_fixture();
  const int n = fx["n"], d = fx["d"];
  const auto P = tsne_joint_probabilities(fx["X"].get<std::vector<double>>(), n, d, 30.0);
  const auto Y = fx["exact"]["Y"].get<std::vector<double>>();
  EXPECT_NEAR(tsne_kl_divergence(P, Y, n, 2), fx["exact"]["kl"].get<double>(), 1e-3);
}

TEST(Tsne, QualityWithinMarginOfSklearn) {
  const auto fx = tsne_fixture();
  const int n = fx["n"], d = fx["d"];
  const auto X = fx["X"].get<std::vector<double>>();
  TsneOptions opt;
  const auto r = tsne(X, n, d, opt);
  ASSERT_EQ(r.embedding.size(), std::size_t(n) * 2);
  const double tw5 = trustworthiness(X, d, r.embedding, 2, 5);
  const double tw10 = trustworthiness(X, d, r.embedding, 2, 10);
  const double sk_tw5 = fx["exact"]["tw5"], sk_tw10 = fx["exact"]["tw10"], sk_kl = fx["exact"]["kl"];
  std::printf("ours: kl %.4f tw5 %.4f tw10 %.4f iters %d | sklearn exact: kl %.4f tw5 %.4f tw10 %.4f\n",
              r.kl, tw5, tw10, r.iterations, sk_kl, sk_tw5, sk_tw10);
  EXPECT_GE(tw5, sk_tw5 - 0.01);
  EXPECT_GE(tw10, sk_tw10 - 0.01);
  EXPECT_LE(r.kl, sk_kl + 0.05);
  EXPECT_GT(r.kl, 0.0);
  // Seeded random init gives the same result twice and also a good embedding.
  opt.init = "random";
  opt.seed = 3;
  const auto a = tsne(X, n, d, opt), b = tsne(X, n, d, opt);
  EXPECT_EQ(a.embedding, b.embedding);
  EXPECT_GE(trustworthiness(X, d, a.embedding, 2, 5), sk_tw5 - 0.02);
}

TEST(Tsne, RejectsBadInput) {
  std::vector<double> X(10 * 3, 0.5);
  TsneOptions o;
  EXPECT_THROW(tsne(X, 10, 3, o), ConfigError);  // perplexity 30 >= n
  o.perplexity = 3;
  o.init = "spectral";
  EXPECT_THROW(tsne(X, 10, 3, o), ConfigError);
  EXPECT_THROW(tsne(X, 9, 3, TsneOptions{}), ConfigError);  // size mismatch
}
