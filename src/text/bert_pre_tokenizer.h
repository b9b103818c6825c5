// BERT pre-tokenizer as Hugging Face `tokenizers` runs it (BertPreTokenizer): split the
// normalised text on whitespace (dropped), then isolate every punctuation character as a
// word of its own. Returns the words as UTF-8.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cgdmer {

std::vector<std::string> bert_pre_tokenize(std::u32string_view normalized);

}  // namespace cgdmer
