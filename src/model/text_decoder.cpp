// Text decoder for the sentinel reconstruction objective, its CE loss, and the BERT MLM
// head alternative (see text_decoder.h for names, shapes and the layer recipe).
#include "model/text_decoder.h"

#include <ATen/autocast_mode.h>  // compat.h uses at::autocast without including it

#include "core/error.h"
#include "model/compat.h"

namespace cgdmer {
namespace detail {

// Multi-head attention with separate query/key/value/out projections.
class DecoderAttentionImpl : public torch::nn::Module {
 public:
  DecoderAttentionImpl(int width, int heads, double p) : heads_(heads), p_(p) {
    query = register_module("query", torch::nn::Linear(width, width));
    key = register_module("key", torch::nn::Linear(width, width));
    value = register_module("value", torch::nn::Linear(width, width));
    out = register_module("out", torch::nn::Linear(width, width));
  }
  // xq (B, U, W), xkv (B, T, W), keep undefined or bool broadcastable to (B, 1, U, T).
  torch::Tensor forward(const torch::Tensor& xq, const torch::Tensor& xkv, const torch::Tensor& keep,
                        bool causal) {
    const auto b = xq.size(0), u = xq.size(1), t = xkv.size(1), w = xq.size(2), dh = w / heads_;
    auto q = query(xq).view({b, u, heads_, dh}).transpose(1, 2);
    auto k = key(xkv).view({b, t, heads_, dh}).transpose(1, 2);
    auto v = value(xkv).view({b, t, heads_, dh}).transpose(1, 2);
    auto o = scaled_dot_product_attention(q, k, v, keep, causal, p_, is_training());
    return out(o.transpose(1, 2).reshape({b, u, w}));
  }
  torch::nn::Linear query{nullptr}, key{nullptr}, value{nullptr}, out{nullptr};

 private:
  int64_t heads_;
  double p_;
};

class DecoderMlpImpl : public torch::nn::Module {
 public:
  DecoderMlpImpl(int width, int hidden) {
    fc1 = register_module("fc1", torch::nn::Linear(width, hidden));
    fc2 = register_module("fc2", torch::nn::Linear(hidden, width));
  }
  torch::Tensor forward(const torch::Tensor& x) { return fc2(torch::gelu(fc1(x))); }
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};

class TextDecoderLayerImpl : public torch::nn::Module {
 public:
  explicit TextDecoderLayerImpl(const TextDecoderOptions& o) {
    auto ln = [&](const char* name) {
      return register_module(name, torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.width()})));
    };
    ln1 = ln("ln1");
    self_attn = register_module(
        "self_attn", std::make_shared<DecoderAttentionImpl>(o.width(), o.heads(), o.dropout()));
    ln2 = ln("ln2");
    cross_attn = register_module(
        "cross_attn", std::make_shared<DecoderAttentionImpl>(o.width(), o.heads(), o.dropout()));
    ln3 = ln("ln3");
    mlp = register_module("mlp", std::make_shared<DecoderMlpImpl>(o.width(), o.width() * o.mlp_ratio()));
    drop = register_module("dropout", torch::nn::Dropout(o.dropout()));
  }
  // x (B, U, W); mem (B, T, W) already projected; keep (B, 1, 1, T) bool.
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& mem, const torch::Tensor& keep) {
    auto h = ln1(x);
    x = x + drop(self_attn->forward(h, h, torch::Tensor(), /*causal=*/true));
    x = x + drop(cross_attn->forward(ln2(x), mem, keep, /*causal=*/false));
    return x + drop(mlp->forward(ln3(x)));
  }
  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr}, ln3{nullptr};
  std::shared_ptr<DecoderAttentionImpl> self_attn, cross_attn;
  std::shared_ptr<DecoderMlpImpl> mlp;
  torch::nn::Dropout drop{nullptr};
};

}  // namespace detail

TextDecoderImpl::TextDecoderImpl(const TextDecoderOptions& o) : opt_(o) {
  if (o.width() % o.heads() != 0)
    throw ConfigError("text decoder width " + std::to_string(o.width()) +
                      " is not a multiple of its heads " + std::to_string(o.heads()));
  token_embedding_ = register_module("token_embedding", torch::nn::Embedding(o.vocab_size(), o.width()));
  position_embedding_ = register_parameter("position_embedding", torch::zeros({o.max_len(), o.width()}));
  memory_proj_ = register_module("memory_proj", torch::nn::Linear(o.memory_dim(), o.width()));
  torch::nn::ModuleList list;
  for (int i = 0; i < o.layers(); ++i) {
    layers_.push_back(std::make_shared<detail::TextDecoderLayerImpl>(o));
    list->push_back(layers_.back());
  }
  register_module("layers", list);
  ln_f_ = register_module("ln_f", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.width()})));
  head_ = register_module("head", torch::nn::Linear(o.width(), o.vocab_size()));
  dropout_ = register_module("dropout", torch::nn::Dropout(o.dropout()));
  // N(0, 0.02) weights and embeddings, zero biases, LayerNorm (1, 0): BERT/GPT-style init.
  torch::NoGradGuard ng;
  for (auto& p : named_parameters(true)) {
    const auto& k = p.key();
    const bool is_ln = k.rfind("ln_f.", 0) == 0 || k.find(".ln") != std::string::npos;
    const bool is_bias = k.size() > 4 && k.compare(k.size() - 4, 4, "bias") == 0;
    if (is_ln)
      p.value().fill_(is_bias ? 0.0 : 1.0);
    else if (is_bias)
      p.value().zero_();
    else
      p.value().normal_(0.0, 0.02);
  }
}

torch::Tensor TextDecoderImpl::forward(const torch::Tensor& decoder_input, const torch::Tensor& memory,
                                       const torch::Tensor& memory_mask) {
  TORCH_CHECK(decoder_input.dim() == 2 && memory.dim() == 3 && memory_mask.dim() == 2,
              "TextDecoder: expected decoder_input (B, U), memory (B, T, H), memory_mask (B, T)");
  const auto u = decoder_input.size(1);
  if (u > opt_.max_len())
    throw ConfigError("text decoder target of " + std::to_string(u) + " tokens exceeds max_len " +
                      std::to_string(opt_.max_len()));
  auto x = dropout_(token_embedding_(decoder_input) + position_embedding_.narrow(0, 0, u));
  auto mem = memory_proj_(memory);                                  // (B, T, W)
  auto keep = memory_mask.to(torch::kBool).unsqueeze(1).unsqueeze(1);  // (B, 1, 1, T)
  for (auto& layer : layers_) x = layer->forward(x, mem, keep);
  return head_(ln_f_(x)).to(torch::kFloat32);  // (B, U, V)
}

torch::Tensor text_reconstruction_loss(const torch::Tensor& logits, const torch::Tensor& targets,
                                       int64_t ignore_index) {
  TORCH_CHECK(logits.dim() == 3 && targets.dim() == 2 && logits.size(0) == targets.size(0) &&
                  logits.size(1) == targets.size(1),
              "text_reconstruction_loss: logits (B, U, V) and targets (B, U) expected");
  auto flat_t = targets.reshape({-1});
  if (!flat_t.ne(ignore_index).any().item<bool>()) return logits.sum() * 0.0;
  namespace F = torch::nn::functional;
  return F::cross_entropy(logits.reshape({-1, logits.size(2)}).to(torch::kFloat32), flat_t,
                          F::CrossEntropyFuncOptions().ignore_index(ignore_index));
}

BertMlmHeadImpl::BertMlmHeadImpl(int hidden, int vocab, double eps, bool tied) {
  auto transform = register_module("transform", std::make_shared<torch::nn::Module>());
  dense_ = transform->register_module("dense", torch::nn::Linear(hidden, hidden));
  ln_ = transform->register_module(
      "LayerNorm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden}).eps(eps)));
  if (!tied)
    decoder_ = register_module("decoder", torch::nn::Linear(torch::nn::LinearOptions(hidden, vocab).bias(false)));
  bias_ = register_parameter("bias", torch::zeros({vocab}));
  torch::NoGradGuard ng;
  dense_->weight.normal_(0.0, 0.02);
  dense_->bias.zero_();
  if (decoder_) decoder_->weight.normal_(0.0, 0.02);
}

torch::Tensor BertMlmHeadImpl::forward(const torch::Tensor& hidden, const torch::Tensor& word_embeddings) {
  auto t = ln_(torch::gelu(dense_(hidden)));  // (B, T, H)
  torch::Tensor w = word_embeddings.defined() ? word_embeddings
                                              : (decoder_ ? decoder_->weight : torch::Tensor());
  TORCH_CHECK(w.defined(), "BertMlmHead is tied: pass the encoder's word embeddings");
  TORCH_CHECK(w.size(0) == bias_.size(0), "BertMlmHead: vocabulary of ", w.size(0),
              " embeddings but ", bias_.size(0), " output biases (resize the encoder first)");
  return torch::matmul(t, w.t()) + bias_;  // (B, T, V)
}

}  // namespace cgdmer
