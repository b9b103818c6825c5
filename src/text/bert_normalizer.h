// The BERT text normaliser exactly as Hugging Face `tokenizers` (BertNormalizer with
// clean_text, handle_chinese_chars, lowercase, strip_accents following lowercase) runs it,
// in its order:
//   1. clean_text: drop U+0000, U+FFFD and "other" characters (categories Cc, Cf, Co, Cs,
//      except \t \n \r; unassigned code points are kept, as HF does); map every whitespace
//      character (Rust char::is_whitespace) to ' ';
//   2. handle_chinese_chars: put ' ' before and after each CJK ideograph;
//   3. strip_accents: NFD, then drop non-spacing marks (Mn);
//   4. lowercase (per character).
// Unicode data come from utf8proc. Also holds the character classes the pre-tokenizer uses.
#pragma once

#include <string>
#include <string_view>

namespace cgdmer {

std::u32string bert_normalize(std::u32string_view text);

bool is_bert_whitespace(char32_t c);   // Rust char::is_whitespace (Unicode White_Space)
bool is_bert_punctuation(char32_t c);  // ASCII punctuation or a Unicode P* category
bool is_cjk_ideograph(char32_t c);     // the ranges BERT treats as "Chinese characters"

}  // namespace cgdmer
