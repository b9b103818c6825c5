// Text reconstruction (paper §2.1, Eq. 3): masked spans of the report are replaced by
// sentinel tokens in the encoder input, and a small transformer decoder (causal self-
// attention + cross-attention to the text encoder's states) predicts the target sequence
// "<s0> span0 <s1> span1 ... <eos>" teacher-forced. L_t.rec = CE over target tokens.
// Option "mlm": a BERT-style MLM head on the encoder states instead.
// Shapes: B batch, U target length, T encoder length, H encoder width, W decoder width.
#pragma once

#include <torch/torch.h>

namespace cgdmer {

struct TextDecoderOptions {
  TORCH_ARG(int, vocab_size) = 30522 + 100 + 1;  ///< base vocab + sentinels + eos
  TORCH_ARG(int, memory_dim) = 768;              ///< H: text encoder width
  TORCH_ARG(int, width) = 256;                   ///< W
  TORCH_ARG(int, layers) = 2;
  TORCH_ARG(int, heads) = 4;
  TORCH_ARG(int, mlp_ratio) = 4;
  TORCH_ARG(int, max_len) = 128;                 ///< longest target sequence
  TORCH_ARG(double, dropout) = 0.1;
};

class TextDecoderImpl : public torch::nn::Module {
 public:
  explicit TextDecoderImpl(const TextDecoderOptions& o);
  // decoder_input (B, U) int64 (= start token + target[:-1]); memory (B, T, H);
  // memory_mask (B, T) bool/int64, 1 = real token. Returns logits (B, U, vocab) float32.
  torch::Tensor forward(const torch::Tensor& decoder_input, const torch::Tensor& memory,
                        const torch::Tensor& memory_mask);
  const TextDecoderOptions& options() const { return opt_; }

 private:
  TextDecoderOptions opt_;
};
TORCH_MODULE(TextDecoder);

// Mean cross-entropy over target positions != ignore_index. logits (B, U, V), targets (B, U).
torch::Tensor text_reconstruction_loss(const torch::Tensor& logits, const torch::Tensor& targets,
                                       int64_t ignore_index = -100);

// BERT MLM head with HF names: transform.{dense,LayerNorm}, decoder (tied to word
// embeddings when given), bias. hidden (B, T, H) → logits (B, T, V).
class BertMlmHeadImpl : public torch::nn::Module {
 public:
  BertMlmHeadImpl(int hidden, int vocab, double eps = 1e-12);
  torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& word_embeddings);
};
TORCH_MODULE(BertMlmHead);

}  // namespace cgdmer
