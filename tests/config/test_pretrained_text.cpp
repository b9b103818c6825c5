// text.hf_weights = a Hugging Face BERT folder: its config.json decides the text shape of the
// resolved config, and a folder that lacks a file or holds a shape/casing the encoder cannot
// take is refused with an error naming the file and the field. Torch-free: the folders here
// are fakes (the weights file is only looked for, not read, at config time); the real-weights
// tests are in tests/model/test_bert_hf.cpp.
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "config/config.h"
#include "config/pretrained_text.h"
#include "core/error.h"
#include "scratch_dir.h"

namespace fs = std::filesystem;
using namespace cgdmer;

namespace {

const char* kMiniConfig = R"({"architectures": ["BertModel"], "model_type": "bert",
  "hidden_act": "gelu", "hidden_size": 64, "num_hidden_layers": 3, "num_attention_heads": 4,
  "intermediate_size": 96, "max_position_embeddings": 128, "type_vocab_size": 1,
  "layer_norm_eps": 1e-7, "vocab_size": 8})";

// A fake HF folder: config.json, vocab.txt (6 tokens), an empty model.safetensors.
std::string make_folder(const std::string& name, const std::string& config = kMiniConfig) {
  const auto dir = cgdmer::testing::scratch_path(name);
  fs::create_directories(dir);
  std::ofstream(dir + "/config.json") << config;
  std::ofstream(dir + "/vocab.txt") << "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\necg\n";
  std::ofstream(dir + "/model.safetensors");
  return dir;
}

std::string error_of(const std::string& dir) {
  try {
    Config::load("tiny", {"text.hf_weights=" + dir});
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(PretrainedText, FolderOverridesTheTextShape) {
  const auto dir = make_folder("ok");
  const Config c = Config::load("tiny", {"text.hf_weights=" + dir, "text.width=999"});
  EXPECT_EQ(c.text.vocab_size, 8);
  EXPECT_EQ(c.text.width, 64);  // the folder wins over the preset and over --set
  EXPECT_EQ(c.text.depth, 3);
  EXPECT_EQ(c.text.heads, 4);
  EXPECT_EQ(c.text.intermediate, 96);
  EXPECT_EQ(c.text.max_position, 128);
  EXPECT_EQ(c.text.type_vocab, 1);
  EXPECT_DOUBLE_EQ(c.text.layer_norm_eps, 1e-7);
  EXPECT_EQ(c.text.hf_weights, dir);
  // The rest of the preset stays: max_len, decoder, ECG side.
  const Config tiny = Config::load("tiny");
  EXPECT_EQ(c.text.max_len, tiny.text.max_len);
  EXPECT_EQ(c.ecg.width, tiny.ecg.width);
  // Saved resolved, it reads back identically (a run's config.toml / checkpoint).
  const Config back = Config::from_toml(c.to_toml(), "resolved");
  EXPECT_EQ(back.to_toml(), c.to_toml());
  // Without a folder nothing changes.
  Config plain = tiny;
  EXPECT_FALSE(resolve_pretrained_text(plain));
  EXPECT_EQ(plain.to_toml(), tiny.to_toml());
}

TEST(PretrainedText, MissingFilesAreNamed) {
  for (const char* file : {"config.json", "vocab.txt", "model.safetensors"}) {
    const auto dir = make_folder(std::string("missing_") + file);
    fs::remove(dir + "/" + file);
    const auto msg = error_of(dir);
    EXPECT_NE(msg.find(dir + "/" + file), std::string::npos) << msg;
    EXPECT_NE(msg.find("missing"), std::string::npos) << msg;
  }
  // A path that is not a folder here is the model loader's to check (a resolved config may be
  // read on a machine without the folder): the config keeps its own shape.
  const auto none = cgdmer::testing::scratch_path("no_such_folder");
  EXPECT_EQ(Config::load("tiny", {"text.hf_weights=" + none}).text.width,
            Config::load("tiny").text.width);
  // pytorch_model.safetensors is accepted in place of model.safetensors.
  const auto alt = make_folder("alt_name");
  fs::rename(alt + "/model.safetensors", alt + "/pytorch_model.safetensors");
  EXPECT_EQ(error_of(alt), "(no error)");
}

TEST(PretrainedText, ShapesAndCasingTheEncoderCannotTakeNameFileAndField) {
  struct Case {
    const char* name;
    std::string config;   // replaces config.json ("" = keep)
    std::string tok_cfg;  // tokenizer_config.json ("" = none)
    std::string file, field;
  };
  auto cfg_with = [](const std::string& from, const std::string& to) {
    std::string s = kMiniConfig;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  const std::vector<Case> cases = {
      {"act", cfg_with(R"("gelu")", R"("relu")"), "", "config.json", "hidden_act"},
      {"type", cfg_with(R"("bert")", R"("roberta")"), "", "config.json", "model_type"},
      {"heads", cfg_with(R"("num_attention_heads": 4)", R"("num_attention_heads": 5)"), "",
       "config.json", "num_attention_heads"},
      {"layers", cfg_with(R"("num_hidden_layers": 3)", R"("num_hidden_layers": 0)"), "",
       "config.json", "num_hidden_layers"},
      {"vocab", cfg_with(R"("vocab_size": 8)", R"("vocab_size": 5)"), "", "vocab.txt",
       "vocab_size"},
      {"json", "{\"hidden_size\": ", "", "config.json", "JSON"},
      {"cased", "", R"({"do_lower_case": false})", "tokenizer_config.json", "do_lower_case"},
      {"maxpos", cfg_with(R"("max_position_embeddings": 128)", R"("max_position_embeddings": 32)"),
       "", "config.json", "max_len"},
  };
  for (const auto& k : cases) {
    const auto dir = make_folder(std::string("bad_") + k.name);
    if (!k.config.empty()) std::ofstream(dir + "/config.json") << k.config;
    if (!k.tok_cfg.empty()) std::ofstream(dir + "/tokenizer_config.json") << k.tok_cfg;
    const auto msg = error_of(dir);
    EXPECT_NE(msg.find(k.file), std::string::npos) << k.name << ": " << msg;
    EXPECT_NE(msg.find(k.field), std::string::npos) << k.name << ": " << msg;
  }
  // An uncased tokenizer_config.json is fine.
  const auto dir = make_folder("uncased");
  std::ofstream(dir + "/tokenizer_config.json") << R"({"do_lower_case": true})";
  EXPECT_EQ(error_of(dir), "(no error)");
}
