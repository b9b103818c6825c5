// MAE decoder for the ECG (paper §2.1, Eq. 2): visible encoder tokens → Linear D→W; every
// masked position gets the shared mask token; the decoder's own lead and temporal embeddings
// are re-added to the full N-token sequence; pre-norm blocks; LayerNorm; Linear W→patch_size
// predicts every patch. Parameter names: embed, mask_token, lead_embed, temporal_embed
// (parameter when learned, buffer when sin–cos), blocks.{i}.*, norm, pred.
// Shapes: B batch, M visible tokens, N = L·P tokens, D encoder width, W decoder width.
#pragma once

#include <string>

#include <torch/torch.h>

#include "model/transformer_block.h"

namespace cgdmer {

struct EcgDecoderOptions {
  TORCH_ARG(int, n_leads) = 12;
  TORCH_ARG(int, patches) = 100;      ///< P per lead
  TORCH_ARG(int, patch_size) = 50;
  TORCH_ARG(int, encoder_width) = 768;
  TORCH_ARG(int, width) = 256;
  TORCH_ARG(int, depth) = 4;
  TORCH_ARG(int, heads) = 8;
  TORCH_ARG(int, mlp_ratio) = 4;
  TORCH_ARG(double, dropout) = 0.0;
  TORCH_ARG(std::string, temporal) = "sincos";
};

class EcgDecoderImpl : public torch::nn::Module {
 public:
  explicit EcgDecoderImpl(const EcgDecoderOptions& o);
  // encoded (B, M, D) visible tokens in the order of ids_keep (B, M) → (B, L, P, patch_size)
  torch::Tensor forward(const torch::Tensor& encoded, const torch::Tensor& ids_keep);

 private:
  EcgDecoderOptions opt_;
  torch::nn::Linear embed_{nullptr}, pred_{nullptr};
  torch::nn::ModuleList blocks_{nullptr};
  torch::nn::LayerNorm norm_{nullptr};
  torch::Tensor mask_token_, lead_embed_, temporal_embed_;  // (1, 1, W), (L, W), (P, W)
};
TORCH_MODULE(EcgDecoder);

}  // namespace cgdmer
