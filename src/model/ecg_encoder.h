// ECG encoder (paper §2.1): pre-norm transformer blocks over the visible tokens, then a
// final LayerNorm `norm` (its output feeds the MAE decoder); the pooled feature is the mean
// of those tokens → LayerNorm `pool_norm` (MERL/ST-MEM's token mean → LN). Heads f_sp/f_sh
// read the pooled feature. Parameter names: blocks.{i}.*, norm, pool_norm.
// Shapes: B batch, M visible tokens (N at inference), D width.
#pragma once

#include <torch/torch.h>

#include "model/transformer_block.h"

namespace cgdmer {

struct EcgEncoderOptions {
  TORCH_ARG(int, width) = 768;
  TORCH_ARG(int, depth) = 8;
  TORCH_ARG(int, heads) = 12;
  TORCH_ARG(int, mlp_ratio) = 4;
  TORCH_ARG(double, dropout) = 0.0;
};

class EcgEncoderImpl : public torch::nn::Module {
 public:
  explicit EcgEncoderImpl(const EcgEncoderOptions& o);
  torch::Tensor forward(const torch::Tensor& tokens);  // (B, M, D) → (B, M, D), after `norm`
  torch::Tensor pool(const torch::Tensor& encoded);    // (B, M, D) → (B, D): mean → pool_norm

 private:
  torch::nn::ModuleList blocks_{nullptr};
  torch::nn::LayerNorm norm_{nullptr}, pool_norm_{nullptr};
};
TORCH_MODULE(EcgEncoder);

}  // namespace cgdmer
