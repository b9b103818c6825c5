// Pre-norm transformer block (ViT/MAE layout) shared by the ECG encoder and the ECG decoder:
//   x = x + drop(attn(norm1(x)));  x = x + drop(mlp(norm2(x)))
// attention: fused qkv Linear → cgdmer::scaled_dot_product_attention (compat.h) → proj.
// Parameter names: norm1, attn.qkv, attn.proj, norm2, mlp.fc1, mlp.fc2.
// Shapes: B batch, T tokens, W width, H heads, W/H head dim.
#pragma once

#include <torch/torch.h>

namespace cgdmer {

struct TransformerBlockOptions {
  TransformerBlockOptions(int width, int heads) : width_(width), heads_(heads) {}
  TORCH_ARG(int, width);
  TORCH_ARG(int, heads);
  TORCH_ARG(int, mlp_ratio) = 4;
  TORCH_ARG(double, dropout) = 0.0;  ///< on attention probabilities and both residual branches
  TORCH_ARG(double, eps) = 1e-6;     ///< LayerNorm epsilon
};

class SelfAttentionImpl : public torch::nn::Module {
 public:
  SelfAttentionImpl(int width, int heads, double dropout);
  torch::Tensor forward(const torch::Tensor& x);  // (B, T, W) → (B, T, W)

 private:
  int heads_;
  double dropout_;
  torch::nn::Linear qkv_{nullptr}, proj_{nullptr};
};
TORCH_MODULE(SelfAttention);

class MlpImpl : public torch::nn::Module {
 public:
  MlpImpl(int width, int hidden);
  torch::Tensor forward(const torch::Tensor& x);  // (..., W) → (..., W), GELU (erf)

 private:
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(Mlp);

class TransformerBlockImpl : public torch::nn::Module {
 public:
  explicit TransformerBlockImpl(const TransformerBlockOptions& o);
  torch::Tensor forward(const torch::Tensor& x);  // (B, T, W) → (B, T, W)

 private:
  TransformerBlockOptions opt_;
  torch::nn::LayerNorm norm1_{nullptr}, norm2_{nullptr};
  SelfAttention attn_{nullptr};
  Mlp mlp_{nullptr};
  torch::nn::Dropout drop_{nullptr};
};
TORCH_MODULE(TransformerBlock);

// xavier_uniform weights / zero bias for every Linear, LayerNorm 1/0 (ST-MEM/MAE init).
void init_transformer_weights(torch::nn::Module& m);

}  // namespace cgdmer
