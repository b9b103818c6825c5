// Implements ecg_decoder.h.
#include "model/ecg_decoder.h"

#include "model/sincos_embedding.h"

namespace cgdmer {

EcgDecoderImpl::EcgDecoderImpl(const EcgDecoderOptions& o) : opt_(o) {
  embed_ = register_module("embed", torch::nn::Linear(o.encoder_width(), o.width()));
  mask_token_ = register_parameter("mask_token", torch::randn({1, 1, o.width()}) * 0.02);
  lead_embed_ = register_parameter("lead_embed", torch::randn({o.n_leads(), o.width()}) * 0.02);
  if (o.temporal() == "learned")
    temporal_embed_ = register_parameter("temporal_embed", torch::randn({o.patches(), o.width()}) * 0.02);
  else
    temporal_embed_ = register_buffer("temporal_embed", sincos_embedding_1d(o.patches(), o.width()));
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  for (int i = 0; i < o.depth(); ++i)
    blocks_->push_back(TransformerBlock(
        TransformerBlockOptions(o.width(), o.heads()).mlp_ratio(o.mlp_ratio()).dropout(o.dropout())));
  norm_ = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.width()}).eps(1e-6)));
  pred_ = register_module("pred", torch::nn::Linear(o.width(), o.patch_size()));
  init_transformer_weights(*this);
}

torch::Tensor EcgDecoderImpl::forward(const torch::Tensor& encoded, const torch::Tensor& ids_keep) {
  const auto b = encoded.size(0), m = encoded.size(1);
  const int64_t l = opt_.n_leads(), p = opt_.patches(), w = opt_.width();
  auto vis = embed_(encoded);                                       // (B, M, W)
  auto full = mask_token_.to(vis.scalar_type()).expand({b, l * p, w});  // (B, N, W)
  full = full.scatter(1, ids_keep.unsqueeze(-1).expand({b, m, w}), vis);  // visible back in place
  auto pos = (lead_embed_.unsqueeze(1) + temporal_embed_.unsqueeze(0)).reshape({l * p, w});
  auto x = full + pos.unsqueeze(0);                                 // (B, N, W)
  for (auto& blk : *blocks_) x = blk->as<TransformerBlock>()->forward(x);
  return pred_(norm_(x)).view({b, l, p, opt_.patch_size()});        // (B, L, P, patch)
}

}  // namespace cgdmer
