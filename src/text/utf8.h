// UTF-8 ⇄ code points for the text pipeline. Decoding never fails: every ill-formed sequence
// (stray continuation byte, overlong form, surrogate, > U+10FFFF, truncated sequence) becomes
// U+FFFD, one per maximal ill-formed subpart — the WHATWG/Node.js rule, which is what the
// Hugging Face oracle sees when it reads the same bytes as a JavaScript string.
#pragma once

#include <string>
#include <string_view>

namespace cgdmer {

std::u32string decode_utf8(std::string_view bytes);
bool is_valid_utf8(std::string_view bytes);
void append_utf8(std::string& out, char32_t cp);
std::string encode_utf8(std::u32string_view cps);

}  // namespace cgdmer
