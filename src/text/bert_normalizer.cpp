// BertNormalizer (see bert_normalizer.h), written against HF tokenizers'
// normalizers/bert.rs and NormalizedString::{nfd, lowercase}.
#include "text/bert_normalizer.h"

#include <utf8proc.h>

#include <vector>

#include "text/hf_unicode_overrides.h"
#include "text/utf8.h"

namespace cgdmer {

bool is_bert_whitespace(char32_t c) {
  switch (c) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0x85: case 0xA0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

namespace {

// HF's is_control: "other" except \t \n \r, which count as whitespace. In HF's tables
// (Rust crate unicode_categories) unassigned code points (Cn) are NOT "other": the oracle
// keeps them as letters (U+0378 in "a\u0378b" gives [UNK], not "ab"), so Cn is kept here too.
bool is_bert_control(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  if (c < 0x80) return c < 0x20 || c == 0x7F;
  if (const HfOverride* o = find_hf_override(c)) return o->cls == HfClass::kDrop;
  switch (utf8proc_category(utf8proc_int32_t(c))) {
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CS:
      return true;
    default:
      return false;
  }
}

bool all_ascii(std::u32string_view s) {
  for (char32_t c : s)
    if (c >= 0x80) return false;
  return true;
}

// Canonical decomposition (NFD, with canonical reordering) of a code-point sequence.
std::u32string nfd(std::u32string_view s) {
  const std::string utf8 = encode_utf8(s);
  std::vector<utf8proc_int32_t> buf(utf8.size() * 4 + 16);
  const auto opts = utf8proc_option_t(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE);
  auto n = utf8proc_decompose(reinterpret_cast<const utf8proc_uint8_t*>(utf8.data()),
                              utf8proc_ssize_t(utf8.size()), buf.data(),
                              utf8proc_ssize_t(buf.size()), opts);
  if (n > utf8proc_ssize_t(buf.size())) {  // needs more room: n is the required size
    buf.resize(size_t(n));
    n = utf8proc_decompose(reinterpret_cast<const utf8proc_uint8_t*>(utf8.data()),
                           utf8proc_ssize_t(utf8.size()), buf.data(), n, opts);
  }
  if (n < 0) return std::u32string(s);  // cannot happen for valid scalar values
  return std::u32string(buf.begin(), buf.begin() + n);
}

}  // namespace

bool is_cjk_ideograph(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

bool is_bert_punctuation(char32_t c) {
  if (c < 0x80)
    return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
           (c >= 123 && c <= 126);
  if (const HfOverride* o = find_hf_override(c)) return o->cls == HfClass::kPunct;
  switch (utf8proc_category(utf8proc_int32_t(c))) {
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
      return true;
    default:
      return false;
  }
}

std::u32string bert_normalize(std::u32string_view text) {
  // 1 + 2: clean-up and CJK spacing in one pass.
  std::u32string s;
  s.reserve(text.size() + 8);
  for (char32_t c : text) {
    if (c == 0 || c == 0xFFFD || is_bert_control(c)) continue;
    if (is_bert_whitespace(c)) {
      s.push_back(U' ');
    } else if (is_cjk_ideograph(c)) {
      s.push_back(U' ');
      s.push_back(c);
      s.push_back(U' ');
    } else {
      s.push_back(c);
    }
  }
  // 3: NFD and drop Mn (ASCII is already NFD and has no marks).
  if (!all_ascii(s)) {
    // Characters HF treats as plain letters are also outside its (older) decomposition
    // tables (U+11938 decomposes since Unicode 13), so they are kept whole; they are
    // starters (combining class 0), so decomposing the runs between them is still NFD.
    std::u32string d;
    size_t run = 0;
    for (size_t i = 0; i <= s.size(); ++i) {
      const HfOverride* o = i < s.size() && s[i] >= 0x80 ? find_hf_override(s[i]) : nullptr;
      if (i < s.size() && !(o && o->cls == HfClass::kLetter)) continue;
      d += nfd(std::u32string_view(s).substr(run, i - run));
      if (i < s.size()) d.push_back(s[i]);
      run = i + 1;
    }
    s.clear();
    for (char32_t c : d) {
      bool drop = false;
      if (c >= 0x80) {
        const HfOverride* o = find_hf_override(c);
        drop = o ? o->cls == HfClass::kDrop
                 : utf8proc_category(utf8proc_int32_t(c)) == UTF8PROC_CATEGORY_MN;
      }
      if (!drop) s.push_back(c);
    }
  }
  // 4: lower-case per character. Rust's char::to_lowercase differs from utf8proc's simple
  // mapping for U+0130 (→ "i̇"), which NFD has already decomposed into I + U+0307, and for
  // characters whose case pairs are newer than utf8proc's tables (the overrides).
  for (char32_t& c : s) {
    if (c < 0x80) {
      if (c >= 'A' && c <= 'Z') c += 32;
    } else if (const HfOverride* o = find_hf_override(c); o && o->cls == HfClass::kLetter) {
      c = o->lower;
    } else {
      c = char32_t(utf8proc_tolower(utf8proc_int32_t(c)));
    }
  }
  return s;
}

}  // namespace cgdmer
