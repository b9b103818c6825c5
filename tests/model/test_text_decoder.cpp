// TextDecoder, text_reconstruction_loss and BertMlmHead against python3-torch references
// (tools/make_bert_fixture.py → tests/fixtures/bert/{decoder,bert_io}.safetensors): logits,
// loss and parameter/input gradients on a fixed batch; causality and memory masking.
#include <string>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "model/bert.h"
#include "model/text_decoder.h"
#include "model/weights.h"
#include "tensor_diff.h"

using namespace cgdmer;
using cgdmer::testing::max_abs_diff;

namespace {

const std::string kFixtures = std::string(CGDMER_SOURCE_DIR) + "/tests/fixtures/bert";

// fp32, same ops, different kernels: measured differences are ~1e-6 on O(1) logits and
// ~1e-7 on the gradients. Bounds: 2e-5 absolute for logits/loss, and for gradients 1e-5
// absolute + 1e-4 relative (gradients are summed over many positions).
constexpr double kDecoderAtol = 2e-5;


// Options of the fixture decoder (written to the file's metadata by the generator).
TextDecoderOptions fixture_options(const std::string& path) {
  auto md = SafetensorsFile::open(path).metadata();
  return TextDecoderOptions()
      .vocab_size(std::stoi(md.at("vocab_size")))
      .memory_dim(std::stoi(md.at("memory_dim")))
      .width(std::stoi(md.at("width")))
      .layers(std::stoi(md.at("layers")))
      .heads(std::stoi(md.at("heads")))
      .mlp_ratio(std::stoi(md.at("mlp_ratio")))
      .max_len(std::stoi(md.at("max_len")))
      .dropout(0.0);
}

}  // namespace

TEST(TextDecoder, MatchesReferenceLossLogitsAndGradients) {
  const auto path = kFixtures + "/decoder.safetensors";
  auto f = load_safetensors(path);
  TextDecoder dec(fixture_options(path));
  LoadStateOptions opt;
  opt.prefix = "decoder.";
  load_state(*dec, f, path, opt);  // strict: every decoder tensor named as in the fixture
  dec->train();                    // dropout 0, so train mode is deterministic

  auto memory = f["memory"].clone().requires_grad_();
  auto logits = dec->forward(f["decoder_input"], memory, f["memory_mask"]);
  const double d_logits = max_abs_diff(logits, f["logits"]);
  EXPECT_LT(d_logits, kDecoderAtol);
  auto loss = text_reconstruction_loss(logits, f["target"]);
  const double d_loss = std::abs(loss.item<double>() - f["loss"].item<double>());
  EXPECT_LT(d_loss, kDecoderAtol);
  loss.backward();

  auto params = dec->named_parameters(true);
  double worst = 0;
  for (const auto& [name, ref] : f) {
    if (name.rfind("grad.", 0) != 0) continue;
    const auto key = name.substr(5);
    auto g = key == "memory" ? memory.grad() : params[key].grad();
    ASSERT_TRUE(g.defined()) << key;
    EXPECT_TRUE(torch::allclose(g, ref, /*rtol=*/1e-4, /*atol=*/1e-5))
        << key << " max |diff| " << max_abs_diff(g, ref);
    EXPECT_GT(ref.abs().max().item<double>(), 1e-4) << key << ": reference gradient is trivial";
    worst = std::max(worst, max_abs_diff(g, ref));
  }
  std::printf("decoder vs reference: loss %.6f (ref %.6f, |diff| %.3g), logits max |diff| %.3g, "
              "grads max |diff| %.3g\n",
              loss.item<double>(), f["loss"].item<double>(), d_loss, d_logits, worst);
}

TEST(TextDecoder, CausalAndMemoryMasked) {
  const auto path = kFixtures + "/decoder.safetensors";
  auto f = load_safetensors(path);
  TextDecoder dec(fixture_options(path));
  LoadStateOptions opt;
  opt.prefix = "decoder.";
  load_state(*dec, f, path, opt);
  dec->eval();
  torch::NoGradGuard ng;
  auto in = f["decoder_input"];
  auto base = dec->forward(in, f["memory"], f["memory_mask"]);
  // Changing a later input token leaves earlier positions unchanged (causal).
  auto in2 = in.clone();
  in2[0][5] = (in2[0][5].item<int64_t>() + 1) % 120;
  auto out2 = dec->forward(in2, f["memory"], f["memory_mask"]);
  EXPECT_LT(max_abs_diff(out2.narrow(1, 0, 5), base.narrow(1, 0, 5)), 1e-6);
  EXPECT_GT(max_abs_diff(out2.narrow(1, 5, 3), base.narrow(1, 5, 3)), 1e-4);
  // Padded memory positions (sequence 1, tokens 6..9) are not attended to.
  auto mem2 = f["memory"].clone();
  mem2[1].narrow(0, 6, 4).normal_();
  EXPECT_LT(max_abs_diff(dec->forward(in, mem2, f["memory_mask"])[1], base[1]), 1e-6);
  EXPECT_THROW(dec->forward(torch::zeros({1, 17}, torch::kLong), f["memory"], f["memory_mask"]),
               ConfigError);
}

TEST(TextDecoder, LossIgnoresPaddingAndHandlesEmpty) {
  auto logits = torch::randn({2, 3, 5}, torch::requires_grad());
  auto t = torch::tensor({{1, 2, -100}, {-100, -100, -100}}, torch::kLong);
  auto loss = text_reconstruction_loss(logits, t);
  auto lp = torch::log_softmax(logits, -1);
  auto expect = -(lp[0][0][1] + lp[0][1][2]) / 2;
  EXPECT_NEAR(loss.item<double>(), expect.item<double>(), 1e-6);
  auto none = text_reconstruction_loss(logits, torch::full({2, 3}, -100, torch::kLong));
  EXPECT_EQ(none.item<double>(), 0.0);
  none.backward();  // connected to the graph, zero gradient
  EXPECT_EQ(logits.grad().abs().sum().item<double>(), 0.0);
}

TEST(BertMlmHead, MatchesHuggingFaceReference) {
  const auto path = kFixtures + "/bert_io.safetensors";
  auto io = load_safetensors(path);
  BertModel bert(read_hf_bert_config(kFixtures + "/tiny/config.json"));
  load_hf_bert_weights(bert, kFixtures + "/tiny");
  BertMlmHead head(32, 100, 1e-12);
  LoadStateOptions opt;
  opt.prefix = "mlm.";
  auto rep = load_state(*head, io, path, opt);
  EXPECT_EQ(rep.loaded.size(), 5u);  // transform.dense.{weight,bias}, transform.LayerNorm.*, bias
  torch::NoGradGuard ng;
  auto logits = head->forward(io["last_hidden"], bert->word_embeddings());
  const double d = max_abs_diff(logits, io["mlm_logits"]);
  EXPECT_LT(d, kDecoderAtol);
  std::printf("MLM head vs HF reference: max |diff| %.3g\n", d);
  EXPECT_THROW(head->forward(io["last_hidden"], torch::Tensor()), c10::Error);  // tied needs embeddings
  BertMlmHead untied(32, 100, 1e-12, /*tied=*/false);
  EXPECT_TRUE(module_state(*untied).count("decoder.weight"));
  EXPECT_EQ(untied->forward(io["last_hidden"], torch::Tensor()).sizes(),
            (std::vector<int64_t>{2, 10, 100}));
}
