// Implements ecg_encoder.h.
#include "model/ecg_encoder.h"

namespace cgdmer {

EcgEncoderImpl::EcgEncoderImpl(const EcgEncoderOptions& o) {
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  for (int i = 0; i < o.depth(); ++i)
    blocks_->push_back(TransformerBlock(
        TransformerBlockOptions(o.width(), o.heads()).mlp_ratio(o.mlp_ratio()).dropout(o.dropout())));
  auto ln = torch::nn::LayerNormOptions({o.width()}).eps(1e-6);
  norm_ = register_module("norm", torch::nn::LayerNorm(ln));
  pool_norm_ = register_module("pool_norm", torch::nn::LayerNorm(ln));
  init_transformer_weights(*this);
}

torch::Tensor EcgEncoderImpl::forward(const torch::Tensor& tokens) {
  auto x = tokens;
  for (auto& b : *blocks_) x = b->as<TransformerBlock>()->forward(x);
  return norm_(x);
}

torch::Tensor EcgEncoderImpl::pool(const torch::Tensor& encoded) {
  return pool_norm_(encoded.mean(1));
}

}  // namespace cgdmer
