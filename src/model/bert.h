// BERT text encoder with Hugging Face `BertModel` parameter names and math, so that a
// Hugging Face folder (MedCPT-Query-Encoder, bert-base-uncased, ...) loads unchanged and
// produces the same outputs. Submodule names (state_dict keys):
//   embeddings.{word_embeddings,position_embeddings,token_type_embeddings,LayerNorm}
//   encoder.layer.{i}.attention.self.{query,key,value}
//   encoder.layer.{i}.attention.output.{dense,LayerNorm}
//   encoder.layer.{i}.intermediate.dense   encoder.layer.{i}.output.{dense,LayerNorm}
//   pooler.dense
// Shapes: B batch, T tokens, H hidden.
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

#include "config/config.h"
#include "config/pretrained_text.h"

namespace cgdmer {

namespace detail {
class BertEmbeddingsImpl;
class BertEncoderImpl;
}  // namespace detail

// The encoder's shape: a Hugging Face BERT config.json's fields (read_hf_bert_config reads one).
using BertConfig = HfBertShape;

class BertModelImpl : public torch::nn::Module {
 public:
  explicit BertModelImpl(const BertConfig& cfg);
  // input_ids (B, T) int64; attention_mask (B, T) int64/bool, 1 = real token.
  // Returns last_hidden_state (B, T, H).
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask);
  // HF's output_hidden_states: the embedding output, then every layer's output → L + 1 tensors
  // of (B, T, H); the last one is forward()'s result.
  std::vector<torch::Tensor> forward_all(const torch::Tensor& input_ids,
                                         const torch::Tensor& attention_mask);
  // HF pooler_output: tanh(dense(last_hidden[:, 0])) → (B, H).
  torch::Tensor pool(const torch::Tensor& last_hidden);
  // Grow the word-embedding matrix to n rows (new rows ~ N(0, 0.02)), e.g. for sentinels.
  void resize_token_embeddings(int n);
  // Freezing (sets requires_grad; the spec is absolute, so none un-freezes): none | all
  // (whole encoder incl. pooler) | first:K (embeddings + layers 0..K-1; first:0 = embeddings
  // only). K above the layer count → ConfigError.
  void freeze(const FreezeSpec& spec);
  const BertConfig& config() const { return cfg_; }
  // The (V, H) word-embedding matrix (e.g. to tie an MLM decoder to it).
  torch::Tensor word_embeddings() const;

 private:
  void check_input(const torch::Tensor& input_ids) const;  // (B, T), T <= max positions
  BertConfig cfg_;
  // Submodules, registered in bert.cpp under the HF names above.
  std::shared_ptr<detail::BertEmbeddingsImpl> embeddings_;
  std::shared_ptr<detail::BertEncoderImpl> encoder_;
  torch::nn::Linear pooler_dense_{nullptr};  // "pooler.dense"
};
TORCH_MODULE(BertModel);

// Loads Hugging Face weights into `model`: `path` is a folder (model.safetensors or
// pytorch_model.safetensors; config.json checked against model's config) or a .safetensors
// file. Accepts keys with or without a "bert." prefix; ignores HF-only buffers
// (embeddings.position_ids). Missing or mis-shaped tensors → FormatError naming them.
// Order for sentinels: build from the HF config, load, then resize_token_embeddings().
void load_hf_bert_weights(BertModel& model, const std::string& path);

// `cgdmer import-hf DIR --out FILE`: reads a Hugging Face BERT folder (config.json required;
// model.safetensors or pytorch_model.safetensors; vocab.txt optional, checked against
// vocab_size), checks that it loads into a BertModel of that config, and writes the encoder to
// `out` in cgdmer's naming, "text_encoder.<HF name>", with the source config.json in the
// metadata key "hf_config". load_hf_bert_weights accepts either layout. Throws IoError /
// FormatError naming the folder or file.
struct HfImportSummary {
  BertConfig config;
  std::string weights_file;     // the file read inside the folder
  std::size_t tensors = 0;      // written to `out`
  std::int64_t parameters = 0;  // scalar count
  std::int64_t vocab_entries = -1;  // lines of vocab.txt, -1 when absent
};
HfImportSummary import_hf_bert(const std::string& dir, const std::string& out);

}  // namespace cgdmer
