// BertPreTokenizer (see bert_pre_tokenizer.h).
#include "text/bert_pre_tokenizer.h"

#include "text/bert_normalizer.h"
#include "text/utf8.h"

namespace cgdmer {

std::vector<std::string> bert_pre_tokenize(std::u32string_view s) {
  std::vector<std::string> words;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) words.push_back(std::move(cur));
    cur.clear();
  };
  for (char32_t c : s) {
    if (is_bert_whitespace(c)) {
      flush();
    } else if (is_bert_punctuation(c)) {
      flush();
      append_utf8(cur, c);
      flush();
    } else {
      append_utf8(cur, c);
    }
  }
  flush();
  return words;
}

}  // namespace cgdmer
