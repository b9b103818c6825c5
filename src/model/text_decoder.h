// Text reconstruction (paper §2.1, Eq. 3): masked spans of the report are replaced by
// sentinel tokens in the encoder input, and a small transformer decoder (causal self-
// attention + cross-attention to the text encoder's states) predicts the target sequence
// "<s0> span0 <s1> span1 ... <eos>" teacher-forced. L_t.rec = CE over target tokens.
// Option "mlm": a BERT-style MLM head on the encoder states instead.
// Shapes: B batch, U target length, T encoder length, H encoder width, W decoder width.
// Decoder parameter names (state_dict keys):
//   token_embedding.weight (V, W)   position_embedding (max_len, W)   memory_proj (H → W)
//   layers.{i}.{ln1,ln2,ln3}  layers.{i}.{self_attn,cross_attn}.{query,key,value,out}
//   layers.{i}.mlp.{fc1,fc2}   ln_f   head (W → V)
// Layer (pre-norm): x += SA(ln1 x, causal); x += CA(ln2 x, memory_proj(memory)); x += MLP(ln3 x)
// with exact GELU; LayerNorm eps 1e-5; dropout on attention probabilities and on each
// residual branch.
#pragma once

#include <vector>

#include <torch/torch.h>

namespace cgdmer {

namespace detail {
class TextDecoderLayerImpl;
}  // namespace detail

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
  torch::nn::Embedding token_embedding_{nullptr};
  torch::Tensor position_embedding_;  // (max_len, W)
  torch::nn::Linear memory_proj_{nullptr}, head_{nullptr};
  std::vector<std::shared_ptr<detail::TextDecoderLayerImpl>> layers_;
  torch::nn::LayerNorm ln_f_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(TextDecoder);

// Mean cross-entropy over target positions != ignore_index. logits (B, U, V), targets (B, U).
// With no target position at all the loss is 0 (still connected to the graph), not NaN.
torch::Tensor text_reconstruction_loss(const torch::Tensor& logits, const torch::Tensor& targets,
                                       int64_t ignore_index = -100);

// BERT MLM head with HF names (BertOnlyMLMHead's cls.predictions.*): transform.{dense,
// LayerNorm} with exact GELU between them, decoder, bias. hidden (B, T, H) → logits (B, T, V).
// tied (default, as in HF): no decoder parameter; forward() multiplies by the encoder's word
// embeddings (V, H), which must be given. Untied: a decoder.weight (V, H) of its own, used
// when word_embeddings is undefined.
class BertMlmHeadImpl : public torch::nn::Module {
 public:
  BertMlmHeadImpl(int hidden, int vocab, double eps = 1e-12, bool tied = true);
  torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& word_embeddings);

 private:
  torch::nn::Linear dense_{nullptr}, decoder_{nullptr};
  torch::nn::LayerNorm ln_{nullptr};
  torch::Tensor bias_;  // (V)
};
TORCH_MODULE(BertMlmHead);

}  // namespace cgdmer
