// Pretrained text encoders from a Hugging Face BERT folder, torch-free: reading its
// config.json / vocab.txt / tokenizer_config.json, and resolving a Config's text section from
// it (text.hf_weights = folder → the folder decides vocab_size, width, depth, heads,
// intermediate, max_position, type_vocab and layer_norm_eps; the preset's values are replaced).
// The weights themselves are loaded by the model (model/bert.h, load_hf_bert_weights).
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"

namespace cgdmer {

// The fields of a Hugging Face BERT config.json that decide cgdmer's BertModel. Defaults are
// HF's BertConfig defaults (a field absent from the file keeps them).
struct HfBertShape {
  int vocab_size = 30522;
  int hidden_size = 768;
  int num_hidden_layers = 12;
  int num_attention_heads = 12;
  int intermediate_size = 3072;
  int max_position_embeddings = 512;
  int type_vocab_size = 2;
  double layer_norm_eps = 1e-12;
  double hidden_dropout_prob = 0.1;
  double attention_probs_dropout_prob = 0.1;
};

// Reads config.json. Refuses, with a FormatError naming the file and the field, what the BERT
// encoder cannot run: model_type other than "bert", hidden_act other than "gelu" (exact erf
// GELU), position_embedding_type other than "absolute", non-positive sizes, hidden_size not a
// multiple of num_attention_heads.
HfBertShape read_hf_bert_config(const std::string& config_json_path);

struct HfBertFolder {
  HfBertShape shape;
  std::string config_path, vocab_path, weights_path;  // files inside the folder
  std::int64_t vocab_entries = 0;                     // lines of vocab.txt
};

// Checks a folder holds config.json, vocab.txt and model.safetensors (or
// pytorch_model.safetensors), reads the shape, counts vocab.txt (must be <= vocab_size) and,
// when tokenizer_config.json is present, requires do_lower_case true (the tokenizer is the
// uncased BERT pipeline). IoError / FormatError name the missing file or the bad field.
HfBertFolder read_hf_bert_folder(const std::string& dir);

// When c.text.hf_weights is a folder: sets the text shape fields from it (logging each value
// that changes) and returns true. "", a .safetensors file or a path that is not a folder here
// leave the config unchanged (a file must match the config's shape; the model's loader checks
// every tensor and names a missing path). Called by Config::load.
bool resolve_pretrained_text(Config& c);

}  // namespace cgdmer
