// CgDmer end to end on a small random config: every enabled term is present, finite and
// differentiable; switched-off terms are neither computed nor given modules (Table 3
// variants); inference features have the documented shapes; presets build and count.
#include <gtest/gtest.h>

#include "core/error.h"
#include "model/cgdmer_model.h"
#include "model/compat.h"
#include "model/model_summary.h"

namespace cgdmer {
namespace {

Config small_config() {
  Config c;
  auto& e = c.ecg;
  e.n_leads = 4, e.n_samples = 60, e.patch_size = 10, e.tokenizer_channels = 8, e.width = 32;
  e.depth = 1, e.heads = 4, e.decoder_width = 16, e.decoder_depth = 1, e.decoder_heads = 2;
  auto& t = c.text;
  t.vocab_size = 40, t.width = 16, t.depth = 1, t.heads = 2, t.intermediate = 32, t.max_len = 12;
  t.max_position = 16, t.n_sentinels = 4, t.decoder_width = 16, t.decoder_depth = 1;
  t.decoder_heads = 2, t.decoder_max_len = 8, t.dropout = 0.0;
  c.head.hidden = 12, c.head.dim = 8;
  return c;
}

CgDmerInputs small_inputs(const Config& c, int b) {
  CgDmerInputs in;
  in.ecg = torch::rand({b, c.ecg.n_leads, c.ecg.n_samples});
  in.text_ids = torch::randint(0, c.text.vocab_size, {b, 10});
  in.text_mask = torch::ones({b, 10}, torch::kInt64);
  in.text_mask.index_put_({0, torch::indexing::Slice(7)}, 0);
  in.dec_input = torch::randint(0, c.text_vocab_rows(), {b, 6});
  in.dec_target = torch::randint(0, c.text_vocab_rows(), {b, 6});
  in.dec_target.index_put_({1, 5}, -100);
  return in;
}

TEST(CgDmerModel, AllFiveTermsFiniteAndDifferentiable) {
  torch::manual_seed(3);
  Config c = small_config();
  CgDmer model(c);
  auto out = model->forward(small_inputs(c, 3), at::detail::createCPUGenerator(1));
  for (LossTerm t : kLossTerms) {
    ASSERT_TRUE(out.terms.count(t)) << loss_term_name(t);
    EXPECT_TRUE(std::isfinite(out.terms[t].item<double>())) << loss_term_name(t);
  }
  double sum = 0;
  for (auto& [k, v] : out.terms) sum += v.item<double>();
  EXPECT_NEAR(out.loss.item<double>(), sum, 1e-4 * std::abs(sum));  // all λ = 1
  out.loss.backward();
  for (const auto& p : model->named_parameters()) {
    if (p.key().find("pooler") != std::string::npos) continue;  // HF pooler: not used by CG-DMER
    EXPECT_TRUE(p.value().grad().defined()) << p.key();
  }
  EXPECT_EQ(out.ecg_shared.sizes(), (std::vector<int64_t>{3, 8}));
}

TEST(CgDmerModel, VariantsComputeOnlyTheirTerms) {
  Config c = small_config();
  c.loss.lambda_orth = 0, c.loss.lambda_siglip = 0, c.loss.lambda_t_rec = 0;  // variant 2
  CgDmer model(c);
  auto names = model->named_parameters();
  EXPECT_FALSE(names.contains("ecg_sp.fc1.weight"));
  EXPECT_FALSE(names.contains("siglip_bias"));
  EXPECT_FALSE(names.contains("text_decoder.head.weight"));
  EXPECT_TRUE(names.contains("ecg_decoder.pred.weight"));
  auto out = model->forward(small_inputs(c, 2), at::detail::createCPUGenerator(1));
  EXPECT_EQ(out.terms.size(), 2u);
  EXPECT_TRUE(out.terms.count(LossTerm::cons) && out.terms.count(LossTerm::e_rec));

  c.loss.lambda_e_rec = 0, c.ecg.mask_ratio = 0;  // variant 1: no masking, no decoder
  CgDmer v1(c);
  EXPECT_FALSE(v1->named_parameters().contains("ecg_decoder.pred.weight"));
  auto o1 = v1->forward(small_inputs(c, 2), at::detail::createCPUGenerator(1));
  EXPECT_EQ(o1.terms.size(), 1u);
  EXPECT_NEAR(o1.loss.item<double>(), o1.terms[LossTerm::cons].item<double>(), 1e-6);
}

TEST(CgDmerModel, SeededMaskIsReproducible) {
  torch::manual_seed(5);
  Config c = small_config();
  CgDmer model(c);
  auto in = small_inputs(c, 2);
  auto a = model->forward(in, at::detail::createCPUGenerator(9)).terms[LossTerm::e_rec].item<double>();
  auto b = model->forward(in, at::detail::createCPUGenerator(9)).terms[LossTerm::e_rec].item<double>();
  auto d = model->forward(in, at::detail::createCPUGenerator(10)).terms[LossTerm::e_rec].item<double>();
  EXPECT_EQ(a, b);
  EXPECT_NE(a, d);
}

TEST(CgDmerModel, InferenceFeatures) {
  Config c = small_config();
  CgDmer model(c);
  model->eval();
  torch::NoGradGuard ng;
  auto in = small_inputs(c, 2);
  EXPECT_EQ(model->ecg_features(in.ecg).sizes(), (std::vector<int64_t>{2, 32}));
  auto zs = model->ecg_shared(in.ecg);
  EXPECT_TRUE(torch::allclose(zs.norm(2, 1), torch::ones({2}), 1e-5, 1e-5));
  auto ts = model->text_shared(in.text_ids, in.text_mask);
  EXPECT_EQ(ts.sizes(), (std::vector<int64_t>{2, 8}));
}

TEST(CgDmerModel, Bf16AutocastKeepsLossesFp32) {
  Config c = small_config();
  CgDmer model(c);
  AutocastGuard guard(true, torch::kCPU, torch::kBFloat16);
  auto out = model->forward(small_inputs(c, 2), at::detail::createCPUGenerator(1));
  EXPECT_EQ(out.loss.scalar_type(), torch::kFloat32);
  for (auto& [k, v] : out.terms) EXPECT_EQ(v.scalar_type(), torch::kFloat32) << loss_term_name(k);
  out.loss.backward();
}

TEST(CgDmerModel, DescribeCountsEveryPart) {
  Config c = small_config();
  CgDmer model(c);
  auto rows = parameter_counts(*model);
  int64_t sum = 0, direct = 0;
  for (auto& r : rows)
    if (r.part != "total") sum += r.params;
  for (auto& p : model->parameters()) direct += p.numel();
  EXPECT_EQ(rows.back().part, "total");
  EXPECT_EQ(rows.back().params, sum);
  EXPECT_EQ(sum, direct);
  auto text = describe(*model);
  EXPECT_NE(text.find("ecg_tokenizer"), std::string::npos);
  EXPECT_NE(text.find("[ecg]"), std::string::npos);
}

// A lead subset encodes only those leads' tokens: all leads equal the full path, the
// absent leads' samples are never read, and the result differs from zero-filling them.
TEST(CgDmer, LeadSubsetEncodesOnlyThePresentLeads) {
  torch::manual_seed(5);
  Config c = small_config();
  CgDmer m(c);
  m->eval();
  torch::NoGradGuard ng;
  auto x = torch::rand({3, c.ecg.n_leads, c.ecg.n_samples});
  EXPECT_TRUE(torch::allclose(m->ecg_features(x, {0, 1, 2, 3}), m->ecg_features(x), 1e-5, 1e-6));
  const auto sub = m->ecg_features(x, {1, 3});
  ASSERT_EQ(sub.sizes(), (std::vector<std::int64_t>{3, c.ecg.width}));
  auto y = x.clone();
  y.select(1, 0).uniform_();
  y.select(1, 2).fill_(7.0);
  EXPECT_TRUE(torch::equal(m->ecg_features(y, {1, 3}), sub));  // leads 0 and 2 never read
  auto zero_filled = x.clone();
  zero_filled.select(1, 0).zero_();
  zero_filled.select(1, 2).zero_();
  EXPECT_GT((m->ecg_features(zero_filled) - sub).abs().max().item<double>(), 1e-3);
  const auto sh = m->ecg_shared(x, {2});
  EXPECT_TRUE(torch::allclose(sh.norm(2, 1), torch::ones({3}), 1e-5, 1e-5));
  EXPECT_THROW(m->ecg_features(x, {2, 1}), ConfigError);
  EXPECT_THROW(m->ecg_features(x, {0, 4}), ConfigError);
}

}  // namespace
}  // namespace cgdmer
