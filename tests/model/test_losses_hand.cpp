// Loss functions on inputs whose value can be worked out by hand (identity and uniform
// similarity matrices, orthogonal / parallel vectors, known reconstruction errors).
#include <gtest/gtest.h>

#include <cmath>

#include "model/compat.h"
#include "model/losses.h"

namespace cgdmer {
namespace {

double log_sigmoid(double x) { return -std::log1p(std::exp(-x)); }

TEST(ClipLoss, IdentityAndUniform) {
  const int b = 5;
  const double tau = 0.07;
  auto eye = torch::eye(b) * 3.0;  // normalised → identity similarities
  // Each row: softmax over {1/τ, 0 × (B−1)} at the diagonal.
  const double want_identity = std::log1p((b - 1) * std::exp(-1.0 / tau));
  EXPECT_NEAR(clip_loss(eye, eye, tau).item<double>(), want_identity, 1e-7);
  auto same = torch::ones({b, 7});  // every pair has similarity 1 → log B
  EXPECT_NEAR(clip_loss(same, same * 2, tau).item<double>(), std::log(double(b)), 1e-6);
  // Both directions are averaged: swapping the modalities gives the same value.
  auto x = torch::randn({b, 6}), y = torch::randn({b, 6});
  EXPECT_NEAR(clip_loss(x, y, tau).item<double>(), clip_loss(y, x, tau).item<double>(), 1e-6);
}

TEST(SiglipLoss, IdentityAndUniformLearnable) {
  const int b = 4;
  const double s = std::log(10.0), bias = -10.0;  // SigLIP init
  auto ls = torch::tensor(s), bb = torch::tensor(bias);
  auto eye = torch::eye(b) * 0.5;
  // logits = 10·I − 10: diagonal 0, off-diagonal −10.
  const double want = -(log_sigmoid(10 - 10) + (b - 1) * log_sigmoid(10));
  EXPECT_NEAR(siglip_loss(eye, eye, ls, bb, true).item<double>(), want, 1e-6);
  auto same = torch::ones({b, 3});  // all logits = 10 − 10 = 0 → B·log 2
  EXPECT_NEAR(siglip_loss(same, same, ls, bb, true).item<double>(), b * std::log(2.0), 1e-6);
}

TEST(SiglipLoss, FixedIsUnnormalisedScaleOneNoBias) {
  const int b = 3;
  auto h = torch::eye(b) * 2.0;  // logits = 4·I (not normalised)
  const double want = -(log_sigmoid(4.0) + (b - 1) * log_sigmoid(0.0));
  EXPECT_NEAR(siglip_loss(h, h, torch::Tensor(), torch::Tensor(), false).item<double>(), want, 1e-6);
}

TEST(OrthogonalityLoss, OrthogonalParallelAndDiagonal) {
  auto a = torch::tensor({{1.0f, 0.0f, 0.0f}, {0.0f, 2.0f, 0.0f}});
  auto orth = torch::tensor({{0.0f, 5.0f, 0.0f}, {0.0f, 0.0f, -1.0f}});
  EXPECT_NEAR(orthogonality_loss(a, orth).item<double>(), 0.0, 1e-7);
  EXPECT_NEAR(orthogonality_loss(a, a * 3).item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(orthogonality_loss(a, -a).item<double>(), 1.0, 1e-6);
  auto diag = torch::tensor({{1.0f, 1.0f, 0.0f}, {0.0f, 1.0f, 0.0f}});  // cos² = 1/2 and 1
  EXPECT_NEAR(orthogonality_loss(a, diag).item<double>(), 0.75, 1e-6);
}

TEST(EcgReconstructionLoss, MaskedPatchesOnly) {
  auto target = torch::rand({2, 3, 4, 5});
  auto mask = torch::zeros({2, 3, 4});
  mask.index_put_({torch::indexing::Slice(), torch::indexing::Slice(), 1}, 1.0);
  // Error 1 on every sample of the masked patches, huge errors on visible patches (ignored).
  auto pred = target + 1.0 + (1 - mask).unsqueeze(-1) * 100.0;
  EXPECT_NEAR(ecg_reconstruction_loss(pred, target, mask, false).item<double>(), 1.0, 1e-6);
}

TEST(EcgReconstructionLoss, NormTargetIsPerPatch) {
  // Target patches a·ramp + c normalise to the same standardised ramp whatever a, c.
  auto ramp = torch::arange(5, torch::kFloat32);
  auto z = (ramp - ramp.mean()) / (ramp.var() + 1e-6).sqrt();
  auto target = torch::stack({ramp * 3 + 7, ramp * 0.5 - 2}).view({1, 1, 2, 5});
  auto pred = z.expand({1, 1, 2, 5}).clone();
  auto mask = torch::ones({1, 1, 2});
  EXPECT_NEAR(ecg_reconstruction_loss(pred, target, mask, true).item<double>(), 0.0, 1e-6);
  EXPECT_GT(ecg_reconstruction_loss(pred, target, mask, false).item<double>(), 1.0);
}

TEST(LossPrecisionGuard, LossesAreFloat32UnderAutocast) {
  set_autocast_enabled(c10::DeviceType::CPU, true);
  set_autocast_dtype(c10::DeviceType::CPU, torch::kBFloat16);
  auto x = torch::randn({4, 8}), y = torch::randn({4, 8});
  EXPECT_EQ(torch::matmul(x, y.t()).scalar_type(), torch::kBFloat16);  // autocast is on
  {
    LossPrecisionGuard g;
    auto l = clip_loss(x.to(torch::kBFloat16), y, 0.07);
    EXPECT_EQ(l.scalar_type(), torch::kFloat32);
    EXPECT_EQ(torch::matmul(x, y.t()).scalar_type(), torch::kFloat32);
  }
  EXPECT_TRUE(autocast_enabled(c10::DeviceType::CPU));  // restored
  set_autocast_enabled(c10::DeviceType::CPU, false);
  at::autocast::clear_cache();
}

}  // namespace
}  // namespace cgdmer
