// Effective rank and retrieval recall (eval/embedding_quality.h) on matrices whose answers
// are known in closed form.
#include <cmath>

#include <gtest/gtest.h>

#include "core/error.h"
#include "eval/embedding_quality.h"

using namespace cgdmer;

// Columns of ±1 with zero mean are orthogonal: singular values ∝ column norms.
TEST(EffectiveRank, EqualsExpEntropyOfSingularValues) {
  auto x = torch::tensor({{1.0, 1.0, 0.5}, {1.0, -1.0, -0.5}, {-1.0, 1.0, -0.5}, {-1.0, -1.0, 0.5}});
  // Singular values 2, 2, 1 → p = (0.4, 0.4, 0.2).
  const double h = -(2 * 0.4 * std::log(0.4) + 0.2 * std::log(0.2));
  EXPECT_NEAR(effective_rank(x), std::exp(h), 1e-9);
  // Two equal directions: rank 2; a constant offset added to every row changes nothing.
  auto two = x.narrow(1, 0, 2) + 7.0;
  EXPECT_NEAR(effective_rank(two), 2.0, 1e-9);
  // Collapse onto a line: rank 1.
  auto line = torch::arange(5, torch::kFloat64).unsqueeze(1) * torch::tensor({{1.0, 2.0, 3.0}});
  EXPECT_NEAR(effective_rank(line), 1.0, 1e-9);
  EXPECT_THROW(effective_rank(torch::ones({1, 3})), Error);
}

TEST(RetrievalRecall, HitsChanceAndDuplicateReports) {
  // ECG i is closest to report i except ECG 2, whose nearest report is 0 (then its own).
  auto e = torch::eye(4);
  auto t = torch::eye(4);
  e[2] = torch::tensor({0.9f, 0.0f, 0.436f, 0.0f});
  const auto r = retrieval_recall(e, t, {0, 1, 2, 3}, {1, 2, 4});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_DOUBLE_EQ(r[0].recall, 0.75);
  EXPECT_DOUBLE_EQ(r[0].chance, 0.25);
  EXPECT_DOUBLE_EQ(r[1].recall, 1.0);
  EXPECT_DOUBLE_EQ(r[1].chance, 0.5);
  EXPECT_DOUBLE_EQ(r[2].recall, 1.0);  // k = N: always a hit
  // Reports 0 and 2 are the same text: ECG 2 retrieving report 0 is a hit, and chance rises.
  const auto d = retrieval_recall(e, t, {0, 1, 0, 3}, {1});
  EXPECT_DOUBLE_EQ(d[0].recall, 1.0);
  EXPECT_DOUBLE_EQ(d[0].chance, (0.5 + 0.25 + 0.5 + 0.25) / 4);
  EXPECT_EQ(identical_groups({{1, 2}, {3}, {1, 2}, {}}), (std::vector<std::int64_t>{0, 1, 0, 2}));
}
