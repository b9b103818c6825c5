// BERT encoder with Hugging Face `BertModel` math and parameter names (see bert.h):
//   embeddings = LN(word[ids] + position[arange(T)] + token_type[0]) → dropout
//   layer (post-LN): h = LN(h + dropout(dense(attn(h))));  h = LN(h + dropout(dense(gelu(dense(h)))))
//   pooler = tanh(dense(h[:, 0]))
// GELU is the exact erf form (HF "gelu"); the attention mask removes padded keys.
#include "model/bert.h"

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <fstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/error.h"
#include <ATen/autocast_mode.h>  // compat.h uses at::autocast without including it

#include "model/compat.h"
#include "model/weights.h"

namespace cgdmer {
namespace detail {

class BertEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit BertEmbeddingsImpl(const BertConfig& c) {
    word_embeddings = register_module(
        "word_embeddings", torch::nn::Embedding(c.vocab_size, c.hidden_size));
    position_embeddings = register_module(
        "position_embeddings", torch::nn::Embedding(c.max_position_embeddings, c.hidden_size));
    token_type_embeddings = register_module(
        "token_type_embeddings", torch::nn::Embedding(c.type_vocab_size, c.hidden_size));
    LayerNorm = register_module(
        "LayerNorm",
        torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps)));
    dropout = register_module("dropout", torch::nn::Dropout(c.hidden_dropout_prob));
  }
  // ids (B, T) → (B, T, H). Token types are all 0 (single-segment input, as HF's default).
  torch::Tensor forward(const torch::Tensor& ids) {
    const auto t = ids.size(1);
    auto pos = torch::arange(t, ids.options().dtype(torch::kLong));
    auto x = word_embeddings(ids) + position_embeddings(pos).unsqueeze(0) +
             token_type_embeddings->weight[0];
    return dropout(LayerNorm(x));
  }
  torch::nn::Embedding word_embeddings{nullptr}, position_embeddings{nullptr},
      token_type_embeddings{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
  torch::nn::Dropout dropout{nullptr};
};

// attention.self: query/key/value projections + scaled dot-product attention.
class BertSelfAttentionImpl : public torch::nn::Module {
 public:
  explicit BertSelfAttentionImpl(const BertConfig& c)
      : heads_(c.num_attention_heads), p_(c.attention_probs_dropout_prob) {
    query = register_module("query", torch::nn::Linear(c.hidden_size, c.hidden_size));
    key = register_module("key", torch::nn::Linear(c.hidden_size, c.hidden_size));
    value = register_module("value", torch::nn::Linear(c.hidden_size, c.hidden_size));
  }
  // x (B, T, H); keep (B, 1, 1, T) bool, true = real key → (B, T, H)
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& keep) {
    const auto b = x.size(0), t = x.size(1), h = x.size(2), dh = h / heads_;
    auto split = [&](const torch::Tensor& y) { return y.view({b, t, heads_, dh}).transpose(1, 2); };
    auto o = scaled_dot_product_attention(split(query(x)), split(key(x)), split(value(x)), keep,
                                          /*causal=*/false, p_, is_training());
    return o.transpose(1, 2).reshape({b, t, h});
  }
  torch::nn::Linear query{nullptr}, key{nullptr}, value{nullptr};

 private:
  int64_t heads_;
  double p_;
};

// dense → dropout → residual → LayerNorm (HF's BertSelfOutput and BertOutput).
class BertResidualOutputImpl : public torch::nn::Module {
 public:
  BertResidualOutputImpl(int in, const BertConfig& c) {
    dense = register_module("dense", torch::nn::Linear(in, c.hidden_size));
    LayerNorm = register_module(
        "LayerNorm",
        torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps)));
    dropout = register_module("dropout", torch::nn::Dropout(c.hidden_dropout_prob));
  }
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& residual) {
    return LayerNorm(dropout(dense(x)) + residual);
  }
  torch::nn::Linear dense{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
  torch::nn::Dropout dropout{nullptr};
};

class BertAttentionImpl : public torch::nn::Module {
 public:
  explicit BertAttentionImpl(const BertConfig& c) {
    self = register_module("self", std::make_shared<BertSelfAttentionImpl>(c));
    output = register_module("output", std::make_shared<BertResidualOutputImpl>(c.hidden_size, c));
  }
  std::shared_ptr<BertSelfAttentionImpl> self;
  std::shared_ptr<BertResidualOutputImpl> output;
};

class BertIntermediateImpl : public torch::nn::Module {
 public:
  explicit BertIntermediateImpl(const BertConfig& c) {
    dense = register_module("dense", torch::nn::Linear(c.hidden_size, c.intermediate_size));
  }
  torch::Tensor forward(const torch::Tensor& x) { return torch::gelu(dense(x)); }  // exact erf GELU
  torch::nn::Linear dense{nullptr};
};

class BertLayerImpl : public torch::nn::Module {
 public:
  explicit BertLayerImpl(const BertConfig& c) {
    attention = register_module("attention", std::make_shared<BertAttentionImpl>(c));
    intermediate = register_module("intermediate", std::make_shared<BertIntermediateImpl>(c));
    output = register_module("output", std::make_shared<BertResidualOutputImpl>(c.intermediate_size, c));
  }
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& keep) {
    auto a = attention->output->forward(attention->self->forward(x, keep), x);
    return output->forward(intermediate->forward(a), a);
  }
  std::shared_ptr<BertAttentionImpl> attention;
  std::shared_ptr<BertIntermediateImpl> intermediate;
  std::shared_ptr<BertResidualOutputImpl> output;
};

class BertEncoderImpl : public torch::nn::Module {
 public:
  explicit BertEncoderImpl(const BertConfig& c) {
    torch::nn::ModuleList list;
    for (int i = 0; i < c.num_hidden_layers; ++i) {
      layers.push_back(std::make_shared<BertLayerImpl>(c));
      list->push_back(layers.back());
    }
    register_module("layer", list);
  }
  std::vector<std::shared_ptr<BertLayerImpl>> layers;
};

}  // namespace detail

BertModelImpl::BertModelImpl(const BertConfig& cfg) : cfg_(cfg) {
  if (cfg.hidden_size % cfg.num_attention_heads != 0)
    throw ConfigError("BERT hidden_size " + std::to_string(cfg.hidden_size) +
                      " is not a multiple of num_attention_heads " +
                      std::to_string(cfg.num_attention_heads));
  embeddings_ = register_module("embeddings", std::make_shared<detail::BertEmbeddingsImpl>(cfg));
  encoder_ = register_module("encoder", std::make_shared<detail::BertEncoderImpl>(cfg));
  auto pooler = register_module("pooler", std::make_shared<torch::nn::Module>());
  pooler_dense_ = pooler->register_module("dense", torch::nn::Linear(cfg.hidden_size, cfg.hidden_size));
  // HF initialisation: N(0, 0.02) weights, zero biases, LayerNorm (1, 0).
  torch::NoGradGuard ng;
  for (auto& p : named_parameters(true)) {
    const auto& k = p.key();
    if (k.find("LayerNorm") != std::string::npos)
      p.value().fill_(k.size() > 6 && k.compare(k.size() - 6, 6, "weight") == 0 ? 1.0 : 0.0);
    else if (k.size() > 4 && k.compare(k.size() - 4, 4, "bias") == 0)
      p.value().zero_();
    else
      p.value().normal_(0.0, 0.02);
  }
}

void BertModelImpl::check_input(const torch::Tensor& input_ids) const {
  TORCH_CHECK(input_ids.dim() == 2, "BertModel: input_ids must be (B, T)");
  if (input_ids.size(1) > cfg_.max_position_embeddings)
    throw ConfigError("BERT input of " + std::to_string(input_ids.size(1)) +
                      " tokens exceeds max_position_embeddings " +
                      std::to_string(cfg_.max_position_embeddings));
}

torch::Tensor BertModelImpl::forward(const torch::Tensor& input_ids,
                                     const torch::Tensor& attention_mask) {
  check_input(input_ids);
  // (B, T) → (B, 1, 1, T): every query may attend to every real key.
  auto keep = attention_mask.to(torch::kBool).unsqueeze(1).unsqueeze(1);
  auto h = embeddings_->forward(input_ids);
  for (auto& layer : encoder_->layers) h = layer->forward(h, keep);
  return h;
}

std::vector<torch::Tensor> BertModelImpl::forward_all(const torch::Tensor& input_ids,
                                                      const torch::Tensor& attention_mask) {
  check_input(input_ids);
  auto keep = attention_mask.to(torch::kBool).unsqueeze(1).unsqueeze(1);
  std::vector<torch::Tensor> out{embeddings_->forward(input_ids)};
  for (auto& layer : encoder_->layers) out.push_back(layer->forward(out.back(), keep));
  return out;
}

torch::Tensor BertModelImpl::pool(const torch::Tensor& last_hidden) {
  return torch::tanh(pooler_dense_(last_hidden.select(1, 0)));
}

torch::Tensor BertModelImpl::word_embeddings() const {
  return embeddings_->word_embeddings->weight;
}

void BertModelImpl::resize_token_embeddings(int n) {
  if (n <= 0) throw ConfigError("resize_token_embeddings: size must be positive, got " + std::to_string(n));
  auto& w = embeddings_->word_embeddings->weight;
  const auto old = w.size(0);
  if (n == old) return;
  torch::NoGradGuard ng;
  auto grown = torch::empty({n, w.size(1)}, w.options());
  grown.normal_(0.0, 0.02);
  const auto keep = std::min<int64_t>(old, n);
  grown.narrow(0, 0, keep).copy_(w.narrow(0, 0, keep));
  w.set_data(grown);  // same Parameter object, so requires_grad and registration stay
  embeddings_->word_embeddings->options.num_embeddings(n);
  cfg_.vocab_size = n;
}

void BertModelImpl::freeze(const FreezeSpec& spec) {
  const bool all = spec.kind == FreezeSpec::Kind::all;
  const int k = spec.kind == FreezeSpec::Kind::first ? spec.layers : -1;  // frozen layers
  if (k > cfg_.num_hidden_layers)
    throw ConfigError("text encoder freeze '" + spec.text() + "': K must be in 0.." +
                      std::to_string(cfg_.num_hidden_layers));
  for (auto& p : parameters(true)) p.set_requires_grad(!all);
  if (all || k < 0) return;
  for (auto& p : embeddings_->parameters(true)) p.set_requires_grad(false);
  for (int i = 0; i < k; ++i)
    for (auto& p : encoder_->layers[std::size_t(i)]->parameters(true)) p.set_requires_grad(false);
}

void load_hf_bert_weights(BertModel& model, const std::string& path) {
  namespace fs = std::filesystem;
  std::string file = path;
  if (fs::is_directory(path)) {
    const auto cfg_path = (fs::path(path) / "config.json").string();
    if (fs::exists(cfg_path)) {
      const auto fc = read_hf_bert_config(cfg_path);
      const auto& mc = model->config();
      auto check = [&](const char* name, double file_v, double model_v) {
        if (file_v != model_v)
          throw FormatError(cfg_path, std::string(name) + " is " + std::to_string(file_v) +
                                          " but the model was built with " + std::to_string(model_v),
                            "build the text encoder from this config.json (read_hf_bert_config)");
      };
      check("vocab_size", fc.vocab_size, mc.vocab_size);
      check("hidden_size", fc.hidden_size, mc.hidden_size);
      check("num_hidden_layers", fc.num_hidden_layers, mc.num_hidden_layers);
      check("num_attention_heads", fc.num_attention_heads, mc.num_attention_heads);
      check("intermediate_size", fc.intermediate_size, mc.intermediate_size);
      check("max_position_embeddings", fc.max_position_embeddings, mc.max_position_embeddings);
      check("type_vocab_size", fc.type_vocab_size, mc.type_vocab_size);
      check("layer_norm_eps", fc.layer_norm_eps, mc.layer_norm_eps);
    }
    file.clear();
    for (const char* name : {"model.safetensors", "pytorch_model.safetensors"})
      if (fs::exists(fs::path(path) / name)) {
        file = (fs::path(path) / name).string();
        break;
      }
    if (file.empty())
      throw FormatError(path, "no model.safetensors or pytorch_model.safetensors in this folder",
                        "convert pytorch_model.bin with Python: safetensors.torch.save_file("
                        "torch.load('pytorch_model.bin'), 'model.safetensors')");
  } else if (!fs::exists(path)) {
    throw IoError(path, "no such file or folder");
  }

  auto tensors = load_safetensors(file);
  // HF checkpoints come bare (BertModel), with "bert." (BertForMaskedLM, ...), or with
  // cgdmer's "text_encoder." (import-hf output). Pick the one that holds the embeddings.
  std::string prefix;
  bool found = false;
  for (const char* p : {"", "bert.", "text_encoder."})
    if (tensors.count(std::string(p) + "embeddings.word_embeddings.weight")) {
      prefix = p;
      found = true;
      break;
    }
  if (!found)
    throw FormatError(file, "no 'embeddings.word_embeddings.weight' (bare, 'bert.' or "
                            "'text_encoder.' prefix): not a BERT checkpoint");
  // Checkpoints saved without a pooler (add_pooling_layer=False) keep our initial pooler.
  for (const char* k : {"pooler.dense.weight", "pooler.dense.bias"})
    if (!tensors.count(prefix + k)) {
      spdlog::warn("{}: no {} in the checkpoint; the pooler keeps its random initialisation",
                   file, prefix + k);
      tensors[prefix + k] = model->named_parameters(true)[k].detach().clone();
    }
  LoadStateOptions opt;
  opt.prefix = prefix;
  // Keys outside the prefix (e.g. "cls.predictions.*") are other heads: not ours to load.
  // With no prefix, everything in the file must be the encoder's, except HF's index buffers.
  opt.ignore = {"embeddings.position_ids", "embeddings.token_type_ids"};
  load_state(*model, tensors, file, opt);
}

HfImportSummary import_hf_bert(const std::string& dir, const std::string& out) {
  namespace fs = std::filesystem;
  if (!fs::exists(dir)) throw IoError(dir, "no such folder");
  if (!fs::is_directory(dir))
    throw FormatError(dir, "not a folder", "pass the Hugging Face model folder (config.json, model.safetensors)");
  const auto cfg_path = (fs::path(dir) / "config.json").string();
  if (!fs::exists(cfg_path))
    throw FormatError(dir, "no config.json in this folder: not a Hugging Face model folder");
  HfImportSummary s;
  s.config = read_hf_bert_config(cfg_path);
  for (const char* name : {"model.safetensors", "pytorch_model.safetensors"})
    if (fs::exists(fs::path(dir) / name)) {
      s.weights_file = (fs::path(dir) / name).string();
      break;
    }
  if (s.weights_file.empty())
    throw FormatError(dir, "no model.safetensors or pytorch_model.safetensors in this folder",
                      fs::exists(fs::path(dir) / "pytorch_model.bin")
                          ? "convert pytorch_model.bin with Python: safetensors.torch.save_file("
                            "torch.load('pytorch_model.bin'), 'model.safetensors')"
                          : "");

  // vocab.txt: one token per '\n'-separated line (entries may contain other control chars).
  const auto vocab_path = fs::path(dir) / "vocab.txt";
  if (fs::exists(vocab_path)) {
    std::ifstream v(vocab_path, std::ios::binary);
    if (!v) throw IoError(vocab_path.string(), "cannot open");
    std::string content((std::istreambuf_iterator<char>(v)), std::istreambuf_iterator<char>());
    s.vocab_entries = std::count(content.begin(), content.end(), '\n');
    if (!content.empty() && content.back() != '\n') ++s.vocab_entries;
    if (s.vocab_entries > s.config.vocab_size)
      throw FormatError(vocab_path.string(),
                        std::to_string(s.vocab_entries) + " tokens but config.json vocab_size is " +
                            std::to_string(s.config.vocab_size) + ": ids would be out of range");
    if (s.vocab_entries < s.config.vocab_size)
      spdlog::warn("{}: {} tokens for vocab_size {} (unused embedding rows)", vocab_path.string(),
                   s.vocab_entries, s.config.vocab_size);
  } else {
    spdlog::warn("{}: no vocab.txt; the tokenizer must be given separately", dir);
  }

  BertModel model(s.config);
  load_hf_bert_weights(model, dir);  // checks config vs weights: names, shapes, dtypes
  std::ifstream cf(cfg_path);
  std::string cfg_text((std::istreambuf_iterator<char>(cf)), std::istreambuf_iterator<char>());
  const auto state = module_state(*model, "text_encoder.");
  save_safetensors(out, state, {{"hf_config", cfg_text}, {"cgdmer_source", dir}});
  s.tensors = state.size();
  for (const auto& p : model->parameters()) s.parameters += p.numel();
  return s;
}

}  // namespace cgdmer
