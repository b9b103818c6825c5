// base64_decode: see base64.h.
#include "io/base64.h"

namespace cgdmer {

std::optional<std::vector<std::uint8_t>> base64_decode(const std::string& text, std::string* why) {
  auto fail = [&](const std::string& w) -> std::optional<std::vector<std::uint8_t>> {
    if (why) *why = w;
    return std::nullopt;
  };
  auto value = [](unsigned char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t acc = 0;
  int n = 0, pad = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c == '=') {
      ++pad;
      ++n;
      acc <<= 6;
    } else {
      const int v = value(c);
      if (v < 0) return fail("invalid base64 character at offset " + std::to_string(i));
      if (pad) return fail("base64 data after '=' padding");
      acc = (acc << 6) | std::uint32_t(v);
      ++n;
    }
    if (n == 4) {
      if (pad > 2) return fail("too much base64 padding");
      out.push_back(std::uint8_t(acc >> 16));
      if (pad < 2) out.push_back(std::uint8_t(acc >> 8));
      if (pad < 1) out.push_back(std::uint8_t(acc));
      acc = 0;
      n = 0;
      if (pad) pad = 3;  // anything but white space after a padded quantum is an error
    }
  }
  if (n != 0) return fail("base64 length is not a multiple of 4");
  return out;
}

}  // namespace cgdmer
