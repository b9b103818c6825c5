// Schedule values at known points, the decay/no-decay split, clipping, and that
// accumulating k micro-batches of loss/k gives the gradient of the whole batch.
#include <cmath>

#include <gtest/gtest.h>

#include "model/compat.h"
#include "train/optim.h"

using namespace cgdmer;

TEST(LrSchedule, WarmupThenCosineToMin) {
  LrSchedule s{1e-3, 1e-5, 10, 110};
  EXPECT_DOUBLE_EQ(s.at(0), 1e-4);        // (0+1)/10 of base
  EXPECT_DOUBLE_EQ(s.at(4), 5e-4);
  EXPECT_DOUBLE_EQ(s.at(10), 1e-3);       // warm-up done: cosine starts at base
  EXPECT_NEAR(s.at(60), 1e-5 + 0.5 * (1e-3 - 1e-5), 1e-15);  // half-way: midpoint
  EXPECT_NEAR(s.at(110), 1e-5, 1e-15);    // end: min
  EXPECT_NEAR(s.at(500), 1e-5, 1e-15);    // past the end: stays at min
  for (int i = 11; i < 110; ++i) EXPECT_LT(s.at(i), s.at(i - 1));
}

TEST(LrSchedule, NoWarmup) {
  LrSchedule s{2e-4, 0.0, 0, 4};
  EXPECT_DOUBLE_EQ(s.at(0), 2e-4);
  EXPECT_NEAR(s.at(2), 1e-4, 1e-18);
  EXPECT_NEAR(s.at(4), 0.0, 1e-18);
}

namespace {
struct Toy : torch::nn::Module {
  Toy() {
    fc = register_module("fc", torch::nn::Linear(4, 3));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({3})));
    tok_embed = register_module("tok_embed", torch::nn::Embedding(10, 4));
    logit_scale = register_parameter("logit_scale", torch::zeros({}));
  }
  torch::nn::Linear fc{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Embedding tok_embed{nullptr};
  torch::Tensor logit_scale;
};

// b takes a's values (two Toys are initialised differently).
void copy_parameters(Toy& a, Toy& b) {
  torch::NoGradGuard ng;
  auto pa = a.parameters(), pb = b.parameters();
  for (size_t i = 0; i < pa.size(); ++i) pb[i].copy_(pa[i]);
}
}  // namespace

TEST(AdamW, GroupsSplitByNameAndShape) {
  Toy m;
  ParamGroupSplit split;
  auto opt = make_adamw(m, 1e-3, 0.05, &split);
  EXPECT_EQ(split.decay_names, (std::vector<std::string>{"fc.weight"}));
  EXPECT_EQ(split.no_decay_names.size(), 5u);  // fc.bias, norm.weight/bias, tok_embed, scale
  ASSERT_EQ(opt->param_groups().size(), 2u);
  auto& o0 = static_cast<torch::optim::AdamWOptions&>(opt->param_groups()[0].options());
  auto& o1 = static_cast<torch::optim::AdamWOptions&>(opt->param_groups()[1].options());
  EXPECT_DOUBLE_EQ(o0.weight_decay(), 0.05);
  EXPECT_DOUBLE_EQ(o1.weight_decay(), 0.0);
  set_learning_rate(*opt, 3e-4);
  EXPECT_DOUBLE_EQ(o0.lr(), 3e-4);
  EXPECT_DOUBLE_EQ(o1.lr(), 3e-4);

  // Zero gradients: the decayed weight shrinks by lr·wd, the embedding does not move.
  for (auto& p : m.parameters()) p.mutable_grad() = torch::zeros_like(p);
  auto w0 = m.fc->weight.clone();
  auto e0 = m.tok_embed->weight.clone();
  opt->step();
  EXPECT_TRUE(torch::allclose(m.fc->weight, w0 * (1 - 3e-4 * 0.05), 1e-7, 0));
  EXPECT_TRUE(torch::equal(m.tok_embed->weight, e0));
}

TEST(Clip, NormSpansAllTensorsAndNonFiniteNeverScales) {
  auto a = torch::zeros({2}, torch::requires_grad());
  auto b = torch::zeros({1}, torch::requires_grad());
  a.mutable_grad() = torch::tensor({3.0f, 0.0f});
  b.mutable_grad() = torch::tensor({4.0f});
  EXPECT_NEAR(gradient_clip({a, b}, 1.0).norm, 5.0, 1e-9);  // sqrt(3² + 4²) across tensors
  b.mutable_grad() = torch::tensor({NAN});
  const GradClip bad = gradient_clip({a, b}, 1.0);
  EXPECT_FALSE(std::isfinite(bad.norm));
  EXPECT_EQ(bad.scale, 1.0);
}

// The fused step against torch::optim::AdamW itself: same two groups, 5 steps of random
// gradients, clip factor folded in on one side and applied to the gradients on the other.
// The fused loop does torch's float operations in torch's order with scalars rounded as torch
// rounds them, so most elements agree bit for bit; ATen's scalar tails (tensors shorter than
// a vector, remainders) are compiled with FMA contraction and differ by an ulp per step.
// Tolerance 1e-6 rel + 1e-7 abs (updates are ~1e-2 here): a formula error shows as ~2e-7
// (one did: 1 − β rounded to float before subtracting).
TEST(AdamW, FusedStepMatchesTorchAdamW) {
  torch::manual_seed(3);
  Toy a, b;
  copy_parameters(a, b);
  auto oa = make_adamw(a, 1e-2, 0.05), ob = make_adamw(b, 1e-2, 0.05);
  auto pa = a.parameters(), pb = b.parameters();
  for (int step = 0; step < 5; ++step) {
    const double scale = step % 2 ? 0.25 : 1.0;  // a power of 2: g·s is exact
    for (size_t i = 0; i < pa.size(); ++i) {
      auto g = torch::randn_like(pa[i]);
      pa[i].mutable_grad() = g.clone();
      pb[i].mutable_grad() = g * scale;  // gradients scaled by the clip factor, for torch's step
    }
    adamw_step(*oa, scale);
    ob->step();
  }
  for (size_t i = 0; i < pa.size(); ++i)
    EXPECT_TRUE(torch::allclose(pa[i], pb[i], 1e-6, 1e-7))
        << "parameter " << i << ": max |diff| " << (pa[i] - pb[i]).abs().max().item<double>();
  // The moments live in the optimizer's own state under torch's keys: torch's step can go
  // on from where the fused one stopped (what a checkpoint written by one and resumed by the
  // other needs), and the step counters agree.
  for (const auto& kv : oa->state()) {
    auto& st = static_cast<torch::optim::AdamWParamState&>(*kv.second);
    EXPECT_EQ(st.step(), 5);
  }
  EXPECT_EQ(oa->state().size(), ob->state().size());
  // torch's own step after the fused ones finds the same entries (no second set of moments).
  for (auto& p : pa) p.mutable_grad() = torch::randn_like(p);
  oa->step();
  EXPECT_EQ(oa->state().size(), pa.size());
  for (const auto& kv : oa->state())
    EXPECT_EQ(static_cast<torch::optim::AdamWParamState&>(*kv.second).step(), 6);
}

TEST(AdamW, FusedStepSkipsParametersWithoutGradient) {
  Toy m;
  auto opt = make_adamw(m, 1e-3, 0.05);
  auto before = m.fc->weight.clone();
  m.norm->weight.mutable_grad() = torch::ones_like(m.norm->weight);
  adamw_step(*opt);
  EXPECT_TRUE(torch::equal(m.fc->weight, before));  // no gradient: not even decayed
  EXPECT_EQ(opt->state().size(), 1u);
  drop_gradients(m.parameters());
  EXPECT_FALSE(m.norm->weight.grad().defined());
}

// torch's multi-tensor at::_fused_adamw_ (what runs on CUDA) against the hand CPU kernel, on
// the CPU where LibTorch has it (2.4+): the same formula, so the same parameters and moments
// within float rounding (1e-6 rel + 1e-7 abs, as above). Clip factors that are not 1 (torch's
// grad_scale divides, so the factor goes in inverted), and a parameter that misses a step's
// gradient so that the group holds two step counts (two calls, one per count).
TEST(AdamW, TorchFusedKernelMatchesHandKernel) {
  torch::manual_seed(5);
  Toy a, b;
  copy_parameters(a, b);
  auto oa = make_adamw(a, 1e-2, 0.05), ob = make_adamw(b, 1e-2, 0.05);
  auto pa = a.parameters(), pb = b.parameters();
  if (!torch_fused_adamw_available(torch::kCPU)) {
    for (size_t i = 0; i < pa.size(); ++i) pa[i].mutable_grad() = torch::ones_like(pa[i]);
    EXPECT_THROW(adamw_step(*oa, 1.0, AdamWKernel::torch_fused), std::invalid_argument);
    return;  // this LibTorch (< 2.4) has no CPU fused AdamW: the refusal is what is tested
  }
  for (int step = 0; step < 4; ++step) {
    const double scale = step % 2 ? 0.5 : 0.8;
    for (size_t i = 0; i < pa.size(); ++i) {
      if (step == 1 && i == 0) {  // parameter 0 gets no gradient this step
        pa[i].mutable_grad() = torch::Tensor();
        pb[i].mutable_grad() = torch::Tensor();
        continue;
      }
      auto g = torch::randn_like(pa[i]);
      pa[i].mutable_grad() = g.clone();
      pb[i].mutable_grad() = g.clone();
    }
    adamw_step(*oa, scale, AdamWKernel::hand);
    adamw_step(*ob, scale, AdamWKernel::torch_fused);
  }
  for (size_t i = 0; i < pa.size(); ++i)
    EXPECT_TRUE(torch::allclose(pa[i], pb[i], 1e-6, 1e-7))
        << "parameter " << i << ": max |diff| " << (pa[i] - pb[i]).abs().max().item<double>();
  for (size_t i = 0; i < pa.size(); ++i) {
    auto& sa = static_cast<torch::optim::AdamWParamState&>(
        *oa->state().at(optimizer_state_key(pa[i])));
    auto& sb = static_cast<torch::optim::AdamWParamState&>(
        *ob->state().at(optimizer_state_key(pb[i])));
    EXPECT_EQ(sa.step(), i == 0 ? 3 : 4);
    EXPECT_EQ(sb.step(), sa.step());
    EXPECT_TRUE(torch::allclose(sa.exp_avg(), sb.exp_avg(), 1e-6, 1e-7)) << i;
    EXPECT_TRUE(torch::allclose(sa.exp_avg_sq(), sb.exp_avg_sq(), 1e-6, 1e-9)) << i;
  }
}

TEST(Clip, FactorWithoutTouchingGradients) {
  auto a = torch::zeros({2}, torch::requires_grad());
  a.mutable_grad() = torch::tensor({3.0f, 4.0f});
  const GradClip c = gradient_clip({a}, 1.0);
  EXPECT_NEAR(c.norm, 5.0, 1e-9);
  EXPECT_NEAR(c.scale, 1.0 / (5.0 + 1e-6), 1e-12);
  EXPECT_FLOAT_EQ(a.grad()[1].item<float>(), 4.0f);
  EXPECT_EQ(gradient_clip({a}, 10.0).scale, 1.0);
  EXPECT_EQ(gradient_clip({a}, 0.0).scale, 1.0);
}

TEST(Accumulation, MicroBatchesOfLossOverKEqualFullBatch) {
  torch::manual_seed(0);
  torch::nn::Linear lin(5, 1);
  auto x = torch::randn({8, 5});
  auto y = torch::randn({8, 1});
  torch::nn::functional::mse_loss(lin(x), y).backward();
  auto full = lin->weight.grad().clone();
  lin->zero_grad();
  for (int k = 0; k < 4; ++k)
    (torch::nn::functional::mse_loss(lin(x.narrow(0, 2 * k, 2)), y.narrow(0, 2 * k, 2)) / 4)
        .backward();
  // float32 summation order differs: relative 1e-6.
  EXPECT_TRUE(torch::allclose(lin->weight.grad(), full, 1e-6, 1e-7));
}
