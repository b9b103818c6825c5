// UTF-8 decoding with U+FFFD replacement (see utf8.h) and encoding.
#include "text/utf8.h"

namespace cgdmer {

std::u32string decode_utf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned c = p[i];
    if (c < 0x80) {
      out.push_back(c);
      ++i;
      continue;
    }
    // Lead byte: number of continuation bytes and the allowed range of the first one
    // (Unicode Table 3-7), which rules out overlongs, surrogates and > U+10FFFF.
    int len = 0;
    unsigned lo = 0x80, hi = 0xBF;
    char32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 1; cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 2; cp = c & 0x0F;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 3; cp = c & 0x07;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      out.push_back(0xFFFD);  // stray continuation byte or invalid lead
      ++i;
      continue;
    }
    size_t j = i + 1;
    bool ok = true;
    for (int k = 0; k < len; ++k, ++j) {
      const unsigned b = j < n ? p[j] : 0;
      const unsigned blo = k == 0 ? lo : 0x80, bhi = k == 0 ? hi : 0xBF;
      if (j >= n || b < blo || b > bhi) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (b & 0x3F);
    }
    out.push_back(ok ? cp : char32_t(0xFFFD));
    i = j;  // on failure: skip the maximal subpart consumed so far
  }
  return out;
}

bool is_valid_utf8(std::string_view s) {
  // Valid iff decoding yields exactly as many U+FFFD as the text spells out (EF BF BD).
  size_t spelled = 0;
  for (size_t pos = s.find("\xEF\xBF\xBD"); pos != std::string_view::npos;
       pos = s.find("\xEF\xBF\xBD", pos + 3))
    ++spelled;
  size_t decoded = 0;
  for (char32_t c : decode_utf8(s)) decoded += c == 0xFFFD;
  return decoded == spelled;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(char(cp));
  } else if (cp < 0x800) {
    out.push_back(char(0xC0 | (cp >> 6)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(char(0xE0 | (cp >> 12)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(char(0xF0 | (cp >> 18)));
    out.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  }
}

std::string encode_utf8(std::u32string_view cps) {
  std::string out;
  out.reserve(cps.size());
  for (char32_t c : cps) append_utf8(out, c);
  return out;
}

}  // namespace cgdmer
