// Implements pretrained_text.h: Hugging Face BERT folder → cgdmer text config.
#include "config/pretrained_text.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/error.h"

namespace cgdmer {
namespace {

namespace fs = std::filesystem;

nlohmann::json read_json_object(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw IoError(path, "cannot open");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(f);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(path, std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw FormatError(path, "not a JSON object");
  return j;
}

int json_int(const nlohmann::json& j, const char* key, int dflt, const std::string& path) {
  if (!j.contains(key) || j[key].is_null()) return dflt;
  if (!j[key].is_number_integer() || j[key].get<int64_t>() <= 0 ||
      j[key].get<int64_t>() > 100'000'000)
    throw FormatError(path, std::string("'") + key + "' is " + j[key].dump() +
                                ", must be a positive integer");
  return j[key].get<int>();
}

double json_num(const nlohmann::json& j, const char* key, double dflt, const std::string& path) {
  if (!j.contains(key) || j[key].is_null()) return dflt;
  if (!j[key].is_number() || j[key].get<double>() < 0)
    throw FormatError(path, std::string("'") + key + "' is " + j[key].dump() +
                                ", must be a non-negative number");
  return j[key].get<double>();
}

}  // namespace

HfBertShape read_hf_bert_config(const std::string& path) {
  const auto j = read_json_object(path);
  // Architectures whose math differs from BERT's (RoBERTa offsets positions, ...) are refused.
  auto require = [&](const char* key, const char* want) {
    if (j.contains(key) && !(j[key].is_string() && j[key].get<std::string>() == want))
      throw FormatError(path, std::string("'") + key + "' is " + j[key].dump() + ", only \"" +
                                  want + "\" is supported by the BERT encoder");
  };
  require("model_type", "bert");
  require("hidden_act", "gelu");
  require("position_embedding_type", "absolute");
  HfBertShape c;
  c.vocab_size = json_int(j, "vocab_size", c.vocab_size, path);
  c.hidden_size = json_int(j, "hidden_size", c.hidden_size, path);
  c.num_hidden_layers = json_int(j, "num_hidden_layers", c.num_hidden_layers, path);
  c.num_attention_heads = json_int(j, "num_attention_heads", c.num_attention_heads, path);
  c.intermediate_size = json_int(j, "intermediate_size", c.intermediate_size, path);
  c.max_position_embeddings = json_int(j, "max_position_embeddings", c.max_position_embeddings, path);
  c.type_vocab_size = json_int(j, "type_vocab_size", c.type_vocab_size, path);
  c.layer_norm_eps = json_num(j, "layer_norm_eps", c.layer_norm_eps, path);
  if (!(c.layer_norm_eps > 0)) throw FormatError(path, "'layer_norm_eps' must be positive");
  c.hidden_dropout_prob = json_num(j, "hidden_dropout_prob", c.hidden_dropout_prob, path);
  c.attention_probs_dropout_prob =
      json_num(j, "attention_probs_dropout_prob", c.attention_probs_dropout_prob, path);
  if (c.hidden_size % c.num_attention_heads != 0)
    throw FormatError(path, "hidden_size " + std::to_string(c.hidden_size) +
                                " is not a multiple of num_attention_heads " +
                                std::to_string(c.num_attention_heads));
  return c;
}

HfBertFolder read_hf_bert_folder(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw IoError(dir, "no such folder (text.hf_weights)");
  if (!fs::is_directory(dir, ec))
    throw FormatError(dir, "not a folder", "pass a Hugging Face BERT folder or a .safetensors file");
  HfBertFolder f;
  auto need = [&](const char* name, const char* what) {
    const auto p = (fs::path(dir) / name).string();
    if (!fs::exists(p, ec))
      throw IoError(p, std::string("missing: a pretrained text encoder folder needs ") + what,
                    "a Hugging Face BERT folder holds config.json, vocab.txt and model.safetensors");
    return p;
  };
  f.config_path = need("config.json", "config.json (the BERT shape)");
  f.vocab_path = need("vocab.txt", "vocab.txt (the WordPiece vocabulary)");
  for (const char* name : {"model.safetensors", "pytorch_model.safetensors"})
    if (fs::exists(fs::path(dir) / name, ec)) {
      f.weights_path = (fs::path(dir) / name).string();
      break;
    }
  if (f.weights_path.empty())
    throw IoError((fs::path(dir) / "model.safetensors").string(),
                  "missing: a pretrained text encoder folder needs model.safetensors",
                  fs::exists(fs::path(dir) / "pytorch_model.bin", ec)
                      ? "convert pytorch_model.bin with Python: safetensors.torch.save_file("
                        "torch.load('pytorch_model.bin'), 'model.safetensors')"
                      : "");
  f.shape = read_hf_bert_config(f.config_path);

  // vocab.txt: one token per '\n'-separated line (entries may contain other control chars).
  std::ifstream v(f.vocab_path, std::ios::binary);
  if (!v) throw IoError(f.vocab_path, "cannot open");
  const std::string content((std::istreambuf_iterator<char>(v)), std::istreambuf_iterator<char>());
  f.vocab_entries = std::count(content.begin(), content.end(), '\n');
  if (!content.empty() && content.back() != '\n') ++f.vocab_entries;
  if (f.vocab_entries == 0) throw FormatError(f.vocab_path, "empty vocabulary");
  if (f.vocab_entries > f.shape.vocab_size)
    throw FormatError(f.vocab_path, std::to_string(f.vocab_entries) +
                                        " tokens but config.json vocab_size is " +
                                        std::to_string(f.shape.vocab_size) +
                                        ": ids would be out of range");

  const auto tc_path = (fs::path(dir) / "tokenizer_config.json").string();
  if (fs::exists(tc_path, ec)) {
    const auto tc = read_json_object(tc_path);
    if (tc.contains("do_lower_case") && !tc["do_lower_case"].is_null()) {
      if (!tc["do_lower_case"].is_boolean())
        throw FormatError(tc_path, "'do_lower_case' is " + tc["do_lower_case"].dump() +
                                       ", must be true or false");
      if (!tc["do_lower_case"].get<bool>())
        throw FormatError(tc_path, "'do_lower_case' is false: a cased vocabulary, but cgdmer's "
                                   "tokenizer is the uncased BERT pipeline (MedCPT, bert-base-uncased)",
                          "use an uncased model");
    }
  }
  return f;
}

bool resolve_pretrained_text(Config& c) {
  auto& t = c.text;
  std::error_code ec;
  // A file, or a path that does not exist here (a resolved config read elsewhere), is left to
  // the model's loader, which names it if it is missing when the weights are needed.
  if (t.hf_weights.empty() || !fs::is_directory(t.hf_weights, ec)) return false;
  const HfBertFolder f = read_hf_bert_folder(t.hf_weights);
  const auto& s = f.shape;
  auto set = [&](const char* key, auto& field, auto value) {
    if (field == value) return;
    spdlog::info("text.{} = {} (was {}): from {}", key, value, field, f.config_path);
    field = value;
  };
  set("vocab_size", t.vocab_size, s.vocab_size);
  set("width", t.width, s.hidden_size);
  set("depth", t.depth, s.num_hidden_layers);
  set("heads", t.heads, s.num_attention_heads);
  set("intermediate", t.intermediate, s.intermediate_size);
  set("max_position", t.max_position, s.max_position_embeddings);
  set("type_vocab", t.type_vocab, s.type_vocab_size);
  set("layer_norm_eps", t.layer_norm_eps, s.layer_norm_eps);
  if (t.max_len > t.max_position)
    throw ConfigError("text.max_len " + std::to_string(t.max_len) + " exceeds max_position_embeddings " +
                          std::to_string(t.max_position) + " of " + f.config_path,
                      "set text.max_len <= " + std::to_string(t.max_position));
  return true;
}

}  // namespace cgdmer
