// BertModel against a python3-torch reference of Hugging Face's BertModel math
// (tools/make_bert_fixture.py → tests/fixtures/bert/), plus weight-loading variants (folder,
// file, "bert." / "text_encoder." prefixes, HF's position_ids buffer), refusal of mis-shaped
// or missing tensors, config checks, embedding growth and freezing.
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "model/bert.h"
#include "model/weights.h"
#include "tensor_diff.h"
#include "scratch_dir.h"

namespace fs = std::filesystem;
using namespace cgdmer;
using cgdmer::testing::max_abs_diff;

namespace {

const std::string kDir = std::string(CGDMER_SOURCE_DIR) + "/tests/fixtures/bert";
const std::string kTiny = kDir + "/tiny";

// fp32 tolerance: the reference and LibTorch run the same ops in fp32 but with different
// kernels/summation orders (and HF adds finfo.min where we mask with -inf); outputs are
// LayerNorm-scaled O(1) values; measured max |diff| is ~1.2e-6. 2e-5 still catches subtle
// mistakes: on this fixture the tanh GELU approximation moves outputs by 7e-4 and an LN eps
// of 1e-5 instead of 1e-12 by 8e-5 (measured with the generator script).
constexpr double kAtol = 2e-5;

std::string tmp_path(const std::string& name) { return cgdmer::testing::scratch_path(name); }


BertModel tiny_model() {
  BertModel m(read_hf_bert_config(kTiny + "/config.json"));
  m->eval();
  return m;
}

std::string format_error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Bert, ConfigFromHfJson) {
  auto c = read_hf_bert_config(std::string(CGDMER_SHARED_DIR) + "/reference/medcpt/config.json");
  EXPECT_EQ(c.vocab_size, 30522);
  EXPECT_EQ(c.hidden_size, 768);
  EXPECT_EQ(c.num_hidden_layers, 12);
  EXPECT_EQ(c.max_position_embeddings, 512);
  EXPECT_DOUBLE_EQ(c.layer_norm_eps, 1e-12);
  auto t = read_hf_bert_config(kTiny + "/config.json");
  EXPECT_EQ(t.vocab_size, 100);
  EXPECT_EQ(t.num_attention_heads, 4);

  const auto bad = tmp_path("config.json");
  std::ofstream(bad) << R"({"hidden_act": "relu", "hidden_size": 32, "num_attention_heads": 4})";
  auto msg = format_error_of([&] { read_hf_bert_config(bad); });
  EXPECT_NE(msg.find(bad), std::string::npos) << msg;
  EXPECT_NE(msg.find("hidden_act"), std::string::npos) << msg;
  std::ofstream(bad) << R"({"hidden_size": 30, "num_attention_heads": 4})";
  EXPECT_THROW(read_hf_bert_config(bad), FormatError);
  std::ofstream(bad) << R"({"hidden_size": 3)";
  EXPECT_THROW(read_hf_bert_config(bad), FormatError);
}

TEST(Bert, ParameterNamesAreHuggingFaces) {
  auto m = tiny_model();
  auto st = module_state(*m);
  for (const char* k :
       {"embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
        "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight",
        "encoder.layer.0.attention.self.query.weight", "encoder.layer.1.attention.self.value.bias",
        "encoder.layer.0.attention.output.dense.weight",
        "encoder.layer.1.attention.output.LayerNorm.bias", "encoder.layer.0.intermediate.dense.weight",
        "encoder.layer.1.output.dense.bias", "encoder.layer.1.output.LayerNorm.weight",
        "pooler.dense.weight"})
    EXPECT_TRUE(st.count(k)) << k;
  EXPECT_EQ(st.size(), 5u + 2 * 16 + 2);  // embeddings, 16 per layer, pooler
}

TEST(Bert, MatchesHuggingFaceReference) {
  auto io = load_safetensors(kDir + "/bert_io.safetensors");
  auto m = tiny_model();
  load_hf_bert_weights(m, kTiny);  // folder: config.json checked, position_ids ignored
  torch::NoGradGuard ng;
  auto last = m->forward(io["input_ids"], io["attention_mask"]);
  ASSERT_EQ(last.sizes(), io["last_hidden"].sizes());
  const double d_last = max_abs_diff(last, io["last_hidden"]);
  EXPECT_LT(d_last, kAtol);
  const double d_pool = max_abs_diff(m->pool(last), io["pooler"]);
  EXPECT_LT(d_pool, kAtol);
  // The reference is far from a fresh model: the comparison is meaningful.
  auto fresh = tiny_model();
  EXPECT_GT(max_abs_diff(fresh->forward(io["input_ids"], io["attention_mask"]), io["last_hidden"]), 0.1);
  RecordProperty("max_abs_diff_last_hidden", std::to_string(d_last));
  RecordProperty("max_abs_diff_pooler", std::to_string(d_pool));
  std::printf("BERT vs HF reference: max |diff| last_hidden %.3g, pooler %.3g (tol %.0e)\n", d_last,
              d_pool, kAtol);

  // A boolean mask gives the same result, and padded tokens do not influence real ones.
  auto ids2 = io["input_ids"].clone();
  ids2[1][8] = 42;
  auto last2 = m->forward(ids2, io["attention_mask"].to(torch::kBool));
  EXPECT_LT(max_abs_diff(last2.narrow(1, 0, 6), last.narrow(1, 0, 6)), 1e-6);
}

TEST(Bert, LoadsPrefixedAndBareFiles) {
  auto io = load_safetensors(kDir + "/bert_io.safetensors");
  auto hf = load_safetensors(kTiny + "/model.safetensors");
  ASSERT_TRUE(hf.count("embeddings.position_ids"));
  for (const std::string prefix : {"bert.", "text_encoder.", ""}) {
    std::map<std::string, torch::Tensor> st;
    for (const auto& [k, v] : hf) st[prefix + k] = v;
    if (!prefix.empty()) st["cls.predictions.bias"] = torch::zeros({100});  // another head
    const auto path = tmp_path("prefixed.safetensors");
    save_safetensors(path, st);
    auto m = tiny_model();
    load_hf_bert_weights(m, path);  // a file, not a folder
    torch::NoGradGuard ng;
    EXPECT_LT(max_abs_diff(m->forward(io["input_ids"], io["attention_mask"]), io["last_hidden"]),
              kAtol)
        << "prefix '" << prefix << "'";
  }
}

TEST(Bert, RefusesMisShapedMissingOrUnexpectedTensors) {
  auto hf = load_safetensors(kTiny + "/model.safetensors");
  const auto path = tmp_path("broken.safetensors");
  auto st = hf;
  st["encoder.layer.1.attention.self.key.weight"] = torch::zeros({32, 31});
  save_safetensors(path, st);
  auto m = tiny_model();
  auto msg = format_error_of([&] { load_hf_bert_weights(m, path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("encoder.layer.1.attention.self.key.weight (file [32, 31], model [32, 32])"),
            std::string::npos)
      << msg;

  st = hf;
  st.erase("encoder.layer.0.output.LayerNorm.bias");
  save_safetensors(path, st);
  msg = format_error_of([&] { load_hf_bert_weights(m, path); });
  EXPECT_NE(msg.find("missing tensors: encoder.layer.0.output.LayerNorm.bias"), std::string::npos) << msg;

  st = hf;
  st["encoder.layer.2.output.dense.weight"] = torch::zeros({32, 64});  // a 3-layer checkpoint
  save_safetensors(path, st);
  msg = format_error_of([&] { load_hf_bert_weights(m, path); });
  EXPECT_NE(msg.find("unexpected tensors: encoder.layer.2.output.dense.weight"), std::string::npos)
      << msg;

  save_safetensors(path, {{"foo", torch::zeros({1})}});
  msg = format_error_of([&] { load_hf_bert_weights(m, path); });
  EXPECT_NE(msg.find("not a BERT checkpoint"), std::string::npos) << msg;
}

TEST(Bert, FolderChecksConfigAndWeights) {
  auto cfg = read_hf_bert_config(kTiny + "/config.json");
  cfg.num_hidden_layers = 3;
  BertModel deeper(cfg);
  auto msg = format_error_of([&] { load_hf_bert_weights(deeper, kTiny); });
  EXPECT_NE(msg.find("config.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("num_hidden_layers"), std::string::npos) << msg;

  const auto empty = fs::path(tmp_path("x")).parent_path() / "empty_hf";
  fs::create_directories(empty);
  fs::copy_file(kTiny + "/config.json", empty / "config.json", fs::copy_options::overwrite_existing);
  auto m = tiny_model();
  msg = format_error_of([&] { load_hf_bert_weights(m, empty.string()); });
  EXPECT_NE(msg.find("model.safetensors"), std::string::npos) << msg;
  EXPECT_THROW(load_hf_bert_weights(m, kDir + "/does-not-exist"), IoError);
}

TEST(Bert, ResizeTokenEmbeddingsKeepsOldRows) {
  auto io = load_safetensors(kDir + "/bert_io.safetensors");
  auto m = tiny_model();
  load_hf_bert_weights(m, kTiny);
  auto before = m->word_embeddings().clone();
  const auto n_params = m->parameters().size();
  m->resize_token_embeddings(120);
  auto w = m->word_embeddings();
  ASSERT_EQ(w.sizes(), (std::vector<int64_t>{120, 32}));
  EXPECT_TRUE(torch::equal(w.narrow(0, 0, 100), before));
  const double sd = w.narrow(0, 100, 20).std().item<double>();
  EXPECT_GT(sd, 0.01);
  EXPECT_LT(sd, 0.04);  // N(0, 0.02)
  EXPECT_EQ(m->config().vocab_size, 120);
  EXPECT_EQ(m->parameters().size(), n_params);
  EXPECT_TRUE(w.requires_grad());
  EXPECT_EQ(module_state(*m)["embeddings.word_embeddings.weight"].size(0), 120);
  torch::NoGradGuard ng;
  EXPECT_LT(max_abs_diff(m->forward(io["input_ids"], io["attention_mask"]), io["last_hidden"]), kAtol);
  auto ids = torch::tensor({{101, 119, 5}}, torch::kLong);  // sentinel ids now valid
  EXPECT_EQ(m->forward(ids, torch::ones_like(ids)).sizes(), (std::vector<int64_t>{1, 3, 32}));
}

TEST(Bert, FreezeSpecs) {
  auto m = tiny_model();
  auto trainable = [&](const std::string& prefix) {
    bool any = false, all = true;
    for (const auto& p : m->named_parameters(true))
      if (p.key().rfind(prefix, 0) == 0) {
        any = any || p.value().requires_grad();
        all = all && p.value().requires_grad();
      }
    EXPECT_EQ(any, all) << prefix << " partly frozen";
    return all;
  };
  m->freeze(FreezeSpec::parse("first:1"));
  EXPECT_FALSE(trainable("embeddings."));
  EXPECT_FALSE(trainable("encoder.layer.0."));
  EXPECT_TRUE(trainable("encoder.layer.1."));
  EXPECT_TRUE(trainable("pooler."));
  // Frozen parameters get no gradient; trainable ones do.
  m->train();
  auto ids = torch::tensor({{1, 2, 3}}, torch::kLong);
  m->pool(m->forward(ids, torch::ones_like(ids))).sum().backward();
  for (const auto& p : m->named_parameters(true)) {
    const bool frozen = p.key().rfind("embeddings.", 0) == 0 || p.key().rfind("encoder.layer.0.", 0) == 0;
    EXPECT_EQ(p.value().grad().defined(), !frozen) << p.key();
  }
  m->freeze(FreezeSpec::parse("first:0"));
  EXPECT_FALSE(trainable("embeddings."));
  EXPECT_TRUE(trainable("encoder.layer.0."));
  m->freeze(FreezeSpec::parse("all"));
  EXPECT_FALSE(trainable(""));
  m->freeze(FreezeSpec::parse("none"));
  EXPECT_TRUE(trainable(""));
  m->freeze(FreezeSpec::parse("first:2"));
  EXPECT_FALSE(trainable("encoder."));
  EXPECT_TRUE(trainable("pooler."));
  EXPECT_THROW(m->freeze(FreezeSpec::parse("first:3")), ConfigError);
  EXPECT_THROW(FreezeSpec::parse("first:x"), ConfigError);
  EXPECT_THROW(FreezeSpec::parse("first:1x"), ConfigError);
  EXPECT_THROW(FreezeSpec::parse("some"), ConfigError);
}

TEST(Bert, DropoutOnlyInTraining) {
  auto m = tiny_model();
  auto ids = torch::tensor({{1, 2, 3, 4}}, torch::kLong);
  auto mask = torch::ones_like(ids);
  torch::NoGradGuard ng;
  EXPECT_TRUE(torch::equal(m->forward(ids, mask), m->forward(ids, mask)));
  m->train();
  torch::manual_seed(3);
  EXPECT_FALSE(torch::equal(m->forward(ids, mask), m->forward(ids, mask)));
  EXPECT_THROW(m->forward(torch::zeros({1, 65}, torch::kLong), torch::ones({1, 65})), ConfigError);
}

TEST(Bert, ImportHfWritesTextEncoderNames) {
  const auto dir = fs::path(tmp_path("x")).parent_path() / "hf_folder";
  fs::create_directories(dir);
  fs::copy(kTiny, dir, fs::copy_options::overwrite_existing | fs::copy_options::recursive);
  {
    std::ofstream v(dir / "vocab.txt", std::ios::binary);
    for (int i = 0; i < 100; ++i) v << (i == 7 ? std::string("a\rb") : "tok" + std::to_string(i)) << "\n";
  }
  const auto out = tmp_path("imported.safetensors");
  auto s = import_hf_bert(dir.string(), out);
  EXPECT_EQ(s.vocab_entries, 100);
  EXPECT_EQ(s.tensors, 39u);
  auto f = SafetensorsFile::open(out);
  EXPECT_TRUE(f.contains("text_encoder.encoder.layer.1.output.LayerNorm.weight"));
  EXPECT_FALSE(f.contains("text_encoder.embeddings.position_ids"));
  EXPECT_NE(f.metadata().at("hf_config").find("\"hidden_size\": 32"), std::string::npos);
  auto io = load_safetensors(kDir + "/bert_io.safetensors");
  auto m = tiny_model();
  load_hf_bert_weights(m, out);
  torch::NoGradGuard ng;
  EXPECT_LT(max_abs_diff(m->forward(io["input_ids"], io["attention_mask"]), io["last_hidden"]), kAtol);

  {
    std::ofstream v(dir / "vocab.txt", std::ios::binary | std::ios::app);
    v << "one_too_many\n";
  }
  auto msg = format_error_of([&] { import_hf_bert(dir.string(), out); });
  EXPECT_NE(msg.find("vocab.txt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("101 tokens"), std::string::npos) << msg;
  fs::remove(dir / "config.json");
  msg = format_error_of([&] { import_hf_bert(dir.string(), out); });
  EXPECT_NE(msg.find("no config.json"), std::string::npos) << msg;
  EXPECT_THROW(import_hf_bert((dir / "nope").string(), out), IoError);
}
