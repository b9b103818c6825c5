// MERL's report clean-up (pretrain/preprocess.ipynb, process_report), reproduced with
// Python's str semantics: str.strip(chars) strips any of the characters (a set, not a
// substring) from both ends; str.lower() is Unicode lower-casing; str.split() splits on
// Unicode whitespace (str.isspace).
#include "text/report_cleaning.h"

#include <utf8proc.h>

#include "text/utf8.h"

namespace cgdmer {
namespace {

// Python's str.isspace() for one code point.
bool py_isspace(char32_t c) {
  if ((c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20)) return true;
  switch (c) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

// str.strip(chars) with an ASCII character set.
std::string strip_chars(const std::string& s, const std::string& set) {
  size_t b = 0, e = s.size();
  while (b < e && set.find(s[b]) != std::string::npos) ++b;
  while (e > b && set.find(s[e - 1]) != std::string::npos) --e;
  return s.substr(b, e - b);
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
  return s;
}

bool is_cased_letter(char32_t c) {
  const auto cat = utf8proc_category(utf8proc_int32_t(c));
  return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL || cat == UTF8PROC_CATEGORY_LT;
}

// Python's str.lower(): full lower-case mapping. Differs from the simple mapping for U+0130
// (→ "i̇") and for capital sigma at the end of a word (→ final ς; approximated here by
// "preceded by a cased letter and not followed by one", ignoring case-ignorable characters).
std::string py_lower(const std::string& s) {
  bool ascii = true;
  for (unsigned char c : s) ascii &= c < 0x80;
  if (ascii) {
    std::string out = s;
    for (char& c : out)
      if (c >= 'A' && c <= 'Z') c = char(c + 32);
    return out;
  }
  const std::u32string cps = decode_utf8(s);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < cps.size(); ++i) {
    const char32_t c = cps[i];
    if (c == 0x130) {
      append_utf8(out, U'i');
      append_utf8(out, 0x307);
    } else if (c == 0x3A3) {
      const bool after = i > 0 && is_cased_letter(cps[i - 1]);
      const bool before = i + 1 < cps.size() && is_cased_letter(cps[i + 1]);
      append_utf8(out, after && !before ? 0x3C2 : 0x3C3);
    } else {
      append_utf8(out, char32_t(utf8proc_tolower(utf8proc_int32_t(c))));
    }
  }
  return out;
}

}  // namespace

std::string join_report_parts(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) {
    if (p.empty()) continue;  // pandas reads an empty field as NaN, which dropna() removes
    if (!out.empty()) out += ". ";
    out += p;
  }
  return out;
}

int count_words(const std::string& text) {
  int n = 0;
  bool in_word = false;
  for (char32_t c : decode_utf8(text)) {
    const bool space = py_isspace(c);
    if (!space && !in_word) ++n;
    in_word = !space;
  }
  return n;
}

std::string clean_report(const std::string& text) {
  std::string r = replace_all(replace_all(text, "EKG", "ECG"), "ekg", "ecg");
  r = strip_chars(r, " *");   // strip(' ***')
  r = strip_chars(r, "* ");   // strip('*** ')
  r = strip_chars(r, "*");    // strip('***')
  r = strip_chars(r, "=-");   // strip('=-')
  r = strip_chars(r, "=");    // strip('=')
  r = py_lower(r);
  if (count_words(r) == 0) return "empty";
  for (char& c : r)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return r + ".";
}

}  // namespace cgdmer
