// utf8proc side of the Unicode sweep: how the BERT pipeline would treat each code point
// (≥ U+0080, no surrogates) from utf8proc's tables alone, before any HF override:
//   DROP (Cc Cf Co Cs, or Mn after NFD), SPACE (White_Space), PUNCT (P*), CJK (BERT's
//   "Chinese character" ranges), else LETTER with
//   its NFD-without-Mn, lower-cased form. Lines: hex-cp TAB class TAB utf8-of-form.
// Built and run by make_unicode_overrides.sh (g++ ... -lutf8proc).
#include <utf8proc.h>

#include <cstdio>
#include <string>

static void put(std::string& s, utf8proc_int32_t c) {
  utf8proc_uint8_t b[4];
  s.append(reinterpret_cast<char*>(b), size_t(utf8proc_encode_char(c, b)));
}

int main() {
  for (utf8proc_int32_t c = 0x80; c <= 0x10FFFF; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    const auto cat = utf8proc_category(c);
    const bool ws = c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
                    c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
    const char* cls = "LETTER";
    std::string form;
    if (cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF || cat == UTF8PROC_CATEGORY_CO ||
        cat == UTF8PROC_CATEGORY_CS) {
      cls = "DROP";
    } else if (ws) {
      cls = "SPACE";
    } else {
      utf8proc_int32_t d[32];
      int last = 0;
      const auto n = utf8proc_decompose_char(c, d, 32, UTF8PROC_DECOMPOSE, &last);
      for (utf8proc_ssize_t i = 0; i < n; ++i)
        if (utf8proc_category(d[i]) != UTF8PROC_CATEGORY_MN) put(form, utf8proc_tolower(d[i]));
      const bool cjk = (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
                       (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
                       (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
                       (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
      if (form.empty()) cls = "DROP";
      else if (cjk) cls = "CJK";  // split off with spaces, like punctuation
      else if (cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO) cls = "PUNCT";
    }
    std::printf("%x\t%s\t%s\n", unsigned(c), cls, form.c_str());
  }
}
