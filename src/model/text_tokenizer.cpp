// Implements text_tokenizer.h.
#include "model/text_tokenizer.h"

#include <filesystem>

#include "core/error.h"

namespace cgdmer {

WordPieceTokenizer text_tokenizer_unchecked(const TextModelConfig& text) {
  std::error_code ec;
  if (text.hf_weights.empty()) return WordPieceTokenizer::medcpt();
  if (std::filesystem::is_directory(text.hf_weights, ec)) return WordPieceTokenizer::load(text.hf_weights);
  if (std::filesystem::is_regular_file(text.hf_weights, ec)) return WordPieceTokenizer::medcpt();  // import-hf output
  // Falling back to MedCPT here would feed a model of another vocabulary (all-MiniLM, BERT-base:
  // the same 30,522 size) wrong ids without any error.
  throw ConfigError("text.hf_weights = " + text.hf_weights +
                        " does not exist here, and its vocabulary is what this model reads reports and "
                        "prompts with",
                    "put the Hugging Face folder at that path (a symbolic link will do)");
}

WordPieceTokenizer text_tokenizer_for(const TextModelConfig& text) {
  std::error_code ec;
  const bool folder = !text.hf_weights.empty() && std::filesystem::is_directory(text.hf_weights, ec);
  WordPieceTokenizer tok = text_tokenizer_unchecked(text);
  if (tok.vocab_size() > text.vocab_size)
    throw ConfigError("the tokenizer of " + (folder ? text.hf_weights : std::string("MedCPT")) +
                      " has " + std::to_string(tok.vocab_size()) +
                      " tokens but text.vocab_size is " + std::to_string(text.vocab_size) +
                      ": ids would be out of range");
  return tok;
}

}  // namespace cgdmer
