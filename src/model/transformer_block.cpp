// Implements transformer_block.h.
#include "model/transformer_block.h"

#include "model/compat.h"

namespace cgdmer {

SelfAttentionImpl::SelfAttentionImpl(int width, int heads, double dropout)
    : heads_(heads), dropout_(dropout) {
  TORCH_CHECK(width % heads == 0, "attention width ", width, " not divisible by heads ", heads);
  qkv_ = register_module("qkv", torch::nn::Linear(width, 3 * width));
  proj_ = register_module("proj", torch::nn::Linear(width, width));
}

torch::Tensor SelfAttentionImpl::forward(const torch::Tensor& x) {
  const auto b = x.size(0), t = x.size(1), w = x.size(2);
  // (B, T, 3W) → (3, B, H, T, W/H)
  auto qkv = qkv_(x).reshape({b, t, 3, heads_, w / heads_}).permute({2, 0, 3, 1, 4});
  auto out = scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], torch::Tensor(), false,
                                          dropout_, is_training());  // (B, H, T, W/H)
  return proj_(out.transpose(1, 2).reshape({b, t, w}));
}

MlpImpl::MlpImpl(int width, int hidden) {
  fc1_ = register_module("fc1", torch::nn::Linear(width, hidden));
  fc2_ = register_module("fc2", torch::nn::Linear(hidden, width));
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) { return fc2_(torch::gelu(fc1_(x))); }

TransformerBlockImpl::TransformerBlockImpl(const TransformerBlockOptions& o) : opt_(o) {
  auto ln = torch::nn::LayerNormOptions({o.width()}).eps(o.eps());
  norm1_ = register_module("norm1", torch::nn::LayerNorm(ln));
  attn_ = register_module("attn", SelfAttention(o.width(), o.heads(), o.dropout()));
  norm2_ = register_module("norm2", torch::nn::LayerNorm(ln));
  mlp_ = register_module("mlp", Mlp(o.width(), o.width() * o.mlp_ratio()));
  drop_ = register_module("drop", torch::nn::Dropout(o.dropout()));
}

torch::Tensor TransformerBlockImpl::forward(const torch::Tensor& x) {
  auto h = x + drop_(attn_(norm1_(x)));
  return h + drop_(mlp_(norm2_(h)));
}

void init_transformer_weights(torch::nn::Module& m) {
  torch::NoGradGuard ng;
  for (auto& mod : m.modules(/*include_self=*/false)) {
    if (auto* lin = mod->as<torch::nn::Linear>()) {
      torch::nn::init::xavier_uniform_(lin->weight);
      if (lin->bias.defined()) torch::nn::init::zeros_(lin->bias);
    } else if (auto* ln = mod->as<torch::nn::LayerNorm>()) {
      torch::nn::init::ones_(ln->weight);
      torch::nn::init::zeros_(ln->bias);
    }
  }
}

}  // namespace cgdmer
