// loss.cons_targets = "report": identical reports in a batch are positives of L_cons and
// L_SigLIP. report_keys must see through span masking (same report, different spans → same
// key; different reports → different keys), and the losses with `same` = I must equal the
// plain ones, while a duplicate pair must change them.
#include <gtest/gtest.h>

#include "model/losses.h"

namespace cgdmer {
namespace {

constexpr int V = 100;  // base vocabulary; sentinels V.., eos V + 10

TEST(LabelAware, ReportKeysSeeThroughSpanMasking) {
  // Original report r = [1, 7, 8, 9, 2] (CLS ... SEP), padded to 6.
  // Row 0: unmasked.  Row 1: span {8, 9} → <s0>.  Row 2: span {7} → <s0>, {9} → <s1>.
  // Row 3: another report [1, 7, 8, 5, 2].
  auto ids = torch::tensor({{1, 7, 8, 9, 2, 0}, {1, 7, V, 2, 0, 0}, {1, V, 8, V + 1, 2, 0},
                            {1, 7, 8, 5, 2, 0}}, torch::kInt64);
  auto mask = torch::tensor({{1, 1, 1, 1, 1, 0}, {1, 1, 1, 1, 0, 0}, {1, 1, 1, 1, 1, 0},
                             {1, 1, 1, 1, 1, 0}}, torch::kInt64);
  // dec_target: <s0> span0 <s1> span1 ... <eos>, −100 padding. Row 0 and 3 have no span.
  auto dec = torch::tensor({{V + 10, -100, -100, -100, -100}, {V, 8, 9, V + 10, -100},
                            {V, 7, V + 1, 9, V + 10}, {V + 10, -100, -100, -100, -100}}, torch::kInt64);
  auto k = report_keys(ids, mask, dec, {}, V);
  ASSERT_EQ(k.sizes(), (std::vector<int64_t>{4}));
  EXPECT_EQ(k[0].item<float>(), k[1].item<float>());
  EXPECT_EQ(k[0].item<float>(), k[2].item<float>());
  EXPECT_NE(k[0].item<float>(), k[3].item<float>());
  EXPECT_LT(k.max().item<float>(), 16777216.f);
}

TEST(LabelAware, IdentityTargetsEqualPlainLossesAndDuplicatesChangeThem) {
  torch::manual_seed(1);
  auto e = torch::randn({4, 8}), t = torch::randn({4, 8});
  auto eye = torch::eye(4, torch::kBool);
  EXPECT_NEAR(clip_loss(e, t, 0.07, eye).item<double>(), clip_loss(e, t, 0.07).item<double>(), 1e-5);
  auto ls = torch::tensor(2.3), b = torch::tensor(-10.0);
  EXPECT_NEAR(siglip_loss(e, t, ls, b, true, eye).item<double>(),
              siglip_loss(e, t, ls, b, true).item<double>(), 1e-5);
  // Rows 0 and 1 share a report: their two cross pairs become positives.
  auto same = eye.clone();
  same[0][1] = true;
  same[1][0] = true;
  EXPECT_GT(std::abs(clip_loss(e, t, 0.07, same).item<double>() - clip_loss(e, t, 0.07).item<double>()), 1e-3);
  // By hand: rows/columns 0 and 1 spread their target over {0, 1}; the others keep the diagonal.
  auto ze = torch::nn::functional::normalize(e, torch::nn::functional::NormalizeFuncOptions().dim(1));
  auto zt = torch::nn::functional::normalize(t, torch::nn::functional::NormalizeFuncOptions().dim(1));
  auto lg = torch::matmul(ze, zt.t()) / 0.07;
  auto dir = [](const torch::Tensor& l) {
    auto ls = torch::log_softmax(l, 1);
    double sum = 0;
    for (int i = 0; i < 4; ++i)
      sum += i < 2 ? -0.5 * (ls[i][0] + ls[i][1]).item<double>() : -ls[i][i].item<double>();
    return sum / 4;
  };
  EXPECT_NEAR(clip_loss(e, t, 0.07, same).item<double>(), 0.5 * (dir(lg) + dir(lg.t())), 1e-5);
  // SigLIP: the duplicate cross pairs flip from −1 to +1 labels.
  EXPECT_GT(std::abs(siglip_loss(e, t, ls, b, true, same).item<double>() -
                     siglip_loss(e, t, ls, b, true).item<double>()), 1e-6);
}

}  // namespace
}  // namespace cgdmer
