// The tokenizer that belongs to a config's text encoder: the vocabulary of the
// text.hf_weights folder when it is one (tokenizer.json, else vocab.txt), else the bundled
// MedCPT vocabulary (the paper's encoder, and what a .safetensors from `import-hf` of MedCPT
// expects). A text.hf_weights that does not exist is a ConfigError, not MedCPT. Code that tokenizes reports for a model should take its tokenizer from here, so a
// model pretrained from another BERT (e.g. all-MiniLM-L6-v2, whose ids differ from MedCPT's)
// is fed its own ids.
#pragma once

#include "config/config.h"
#include "text/tokenizer.h"

namespace cgdmer {

// Throws IoError / FormatError naming the file; checks the vocabulary fits text.vocab_size.
WordPieceTokenizer text_tokenizer_for(const TextModelConfig& text);
// The same tokenizer without the size check, for what needs only its special ids and its
// fingerprint (the pretraining collate and store reader): the tests' small text models
// (text.vocab_size 512) read stores of synthetic ids and never tokenize text.
WordPieceTokenizer text_tokenizer_unchecked(const TextModelConfig& text);

}  // namespace cgdmer
