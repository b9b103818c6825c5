// CG-DMER forward/backward against the PyTorch reference (tools/make_model_fixture.py,
// tests/fixtures/model/): same weights, inputs and mask → every loss term, the weighted total
// and every parameter gradient must match. The text side enters as a given [CLS] feature
// (ForwardOverrides::text_cls); BERT and the text decoder have their own fixtures.
//
// Tolerances (float32 both sides, different GEMM/reduction orders): loss terms 2e-6 relative
// (observed ~1e-7); gradients |c − py| <= 2e-5 + 1e-4·|py| elementwise — the InfoNCE logits are
// divided by τ = 0.07, which scales rounding differences by ~14 before they reach the heads.
#include <gtest/gtest.h>

#include <sstream>

#include "model/cgdmer_model.h"
#include "model/weights.h"

namespace cgdmer {
namespace {

const std::string kFixtureDir = std::string(CGDMER_SOURCE_DIR) + "/tests/fixtures/model/";

// Must match CFG in tools/make_model_fixture.py.
Config fixture_config(const std::string& tokenizer_norm) {
  Config c;
  c.name = "fixture";
  auto& e = c.ecg;
  e.n_leads = 3, e.n_samples = 40, e.patch_size = 10, e.tokenizer_channels = 8, e.width = 32;
  e.depth = 2, e.heads = 4, e.mlp_ratio = 2, e.dropout = 0.0, e.temporal_embedding = "sincos";
  e.mask_ratio = 0.5, e.decoder_width = 16, e.decoder_depth = 2, e.decoder_heads = 2;
  auto& t = c.text;
  t.vocab_size = 50, t.width = 16, t.depth = 1, t.heads = 2, t.intermediate = 32, t.max_len = 8;
  t.max_position = 16, t.dropout = 0.0;
  c.head.hidden = 12, c.head.dim = 8;
  c.loss.lambda_cons = 1.0, c.loss.lambda_e_rec = 0.5, c.loss.lambda_t_rec = 0.0;
  c.loss.lambda_orth = 2.0, c.loss.lambda_siglip = 0.25, c.loss.temperature = 0.07;
  c.ecg.tokenizer_norm = tokenizer_norm;
  return c;
}

// "" when close; else the worst elements.
std::string compare(const torch::Tensor& got, const torch::Tensor& want, double atol, double rtol) {
  if (got.sizes() != want.sizes()) {
    std::ostringstream s;
    s << "shape " << got.sizes() << " vs " << want.sizes();
    return s.str();
  }
  auto g = got.to(torch::kFloat64).flatten(), w = want.to(torch::kFloat64).flatten();
  auto excess = (g - w).abs() - (atol + rtol * w.abs());
  if (excess.max().item<double>() <= 0) return "";
  auto order = excess.argsort(int64_t{0}, true);
  std::ostringstream s;
  s << "worst elements (index: got vs want):";
  for (int64_t i = 0; i < std::min<int64_t>(5, order.numel()); ++i) {
    auto k = order[i].item<int64_t>();
    s << " [" << k << "]: " << g[k].item<double>() << " vs " << w[k].item<double>();
  }
  return s.str();
}

// One fixture per ecg.tokenizer_norm: cgdmer_tiny.safetensors ("patch"), cgdmer_tiny_post,
// cgdmer_tiny_stats (tools/make_model_fixture.py OUT MODE).
class CgDmerFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(CgDmerFixture, LossesAndGradientsMatchPyTorch) {
  torch::manual_seed(0);
  const std::string mode = GetParam();
  const std::string kFixture =
      kFixtureDir + (mode == "patch" ? "cgdmer_tiny.safetensors" : "cgdmer_tiny_" + mode + ".safetensors");
  const auto fx = load_safetensors(kFixture);
  CgDmer model(fixture_config(mode));

  std::map<std::string, torch::Tensor> weights;
  for (const auto& [k, v] : fx) {
    if (k.rfind("param.", 0) == 0) weights[k.substr(6)] = v;
    if (k.rfind("buffer.", 0) == 0) weights[k.substr(7)] = v;
  }
  // Our sin–cos tables equal the reference's before they are overwritten.
  auto buffers = model->named_buffers();
  for (const char* b : {"ecg_tokenizer.temporal_embed", "ecg_decoder.temporal_embed"})
    EXPECT_EQ(compare(buffers[b], weights.at(b), 1e-6, 0), "") << b;
  LoadStateOptions opt;
  opt.allow_missing = true;  // the text encoder is not part of this fixture
  auto report = load_state(*model, weights, kFixture, opt);
  for (const auto& m : report.missing) EXPECT_EQ(m.rfind("text_encoder.", 0), 0u) << m;
  EXPECT_TRUE(report.unexpected.empty());

  CgDmerInputs in;
  in.ecg = fx.at("input.ecg");
  ForwardOverrides ov;
  ov.ids_keep = fx.at("input.ids_keep");
  ov.text_cls = fx.at("input.text_cls").clone().requires_grad_(true);
  auto out = model->forward_with(in, at::detail::getDefaultCPUGenerator(), nullptr, ov);

  ASSERT_EQ(out.terms.size(), 4u);
  for (LossTerm term : {LossTerm::e_rec, LossTerm::orth, LossTerm::siglip, LossTerm::cons}) {
    const auto want = fx.at(std::string("loss.") + loss_term_name(term));
    EXPECT_EQ(compare(out.terms.at(term), want, 0, 2e-6), "") << loss_term_name(term);
  }
  EXPECT_EQ(compare(out.loss, fx.at("loss.total"), 0, 2e-6), "") << "total";

  out.loss.backward();
  int checked = 0;
  for (const auto& p : model->named_parameters()) {
    auto it = fx.find("grad." + p.key());
    if (it == fx.end()) continue;  // text encoder
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_EQ(compare(p.value().grad(), it->second, 2e-5, 1e-4), "") << p.key();
    ++checked;
  }
  EXPECT_EQ(compare(ov.text_cls.grad(), fx.at("grad.input.text_cls"), 2e-5, 1e-4), "") << "text_cls";
  int in_fixture = 0;
  for (const auto& [k, v] : fx) in_fixture += k.rfind("grad.param", 0) != 0 && k.rfind("grad.", 0) == 0 &&
                                             k != "grad.input.text_cls";
  EXPECT_EQ(checked, in_fixture);
  EXPECT_GT(checked, 40);
  if (mode == "stats") {
    EXPECT_TRUE(fx.count("grad.ecg_tokenizer.stats.weight"));
  }
}

INSTANTIATE_TEST_SUITE_P(TokenizerNorm, CgDmerFixture, ::testing::Values("patch", "post", "stats"));

}  // namespace
}  // namespace cgdmer
