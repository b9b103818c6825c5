// xli_decode: see xli_codec.h for the layout.
#include "io/xli_codec.h"

#include "core/error.h"

namespace cgdmer {

namespace {

constexpr unsigned kBits = 10;
constexpr unsigned kMaxCode = (1u << kBits) - 2;  // 1022: the last code that names a string

// LZW-decodes one chunk (see xli_codec.h for the bit rules).
std::vector<std::uint8_t> lzw10(const std::uint8_t* p, std::size_t n, std::size_t lead, const std::string& path) {
  std::vector<std::string> table;
  table.reserve(kMaxCode + 1);
  for (int c = 0; c < 256; ++c) table.emplace_back(1, char(c));
  std::vector<std::uint8_t> out;
  std::string prev, cur;
  std::uint32_t acc = 0;
  unsigned nbits = 0;
  std::size_t pos = 0;
  for (;;) {
    while (nbits <= 24) {
      if (pos >= n) return out;  // fewer than 25 bits left: the stream's padding
      acc |= std::uint32_t(p[pos++]) << (24 - nbits);
      nbits += 8;
    }
    const unsigned code = acc >> (32 - kBits);
    acc <<= kBits;
    nbits -= kBits;
    if (code > kMaxCode) return out;
    if (code < table.size()) {
      cur = table[code];
    } else if (code == table.size() && !prev.empty()) {
      cur = prev + prev[0];  // the string being defined by this very code
    } else {
      throw FormatError(path, "XLI lead " + std::to_string(lead + 1) + ": invalid LZW code " + std::to_string(code) +
                                  " (dictionary has " + std::to_string(table.size()) + " entries)");
    }
    if (!prev.empty() && table.size() <= kMaxCode) table.push_back(prev + cur[0]);
    out.insert(out.end(), cur.begin(), cur.end());
    prev.swap(cur);
  }
}

}  // namespace

std::vector<std::vector<std::int16_t>> xli_decode(const std::vector<std::uint8_t>& payload, std::size_t max_leads,
                                                  const std::string& path) {
  std::vector<std::vector<std::int16_t>> leads;
  std::size_t off = 0;
  while (off < payload.size() && leads.size() < max_leads) {
    const std::size_t lead = leads.size();
    if (payload.size() - off < 8)
      throw FormatError(path, "XLI lead " + std::to_string(lead + 1) + ": truncated chunk header");
    const std::uint8_t* h = payload.data() + off;
    const std::int32_t size = std::int32_t(std::uint32_t(h[0]) | std::uint32_t(h[1]) << 8 | std::uint32_t(h[2]) << 16 |
                                           std::uint32_t(h[3]) << 24);
    const std::int16_t first = std::int16_t(std::uint16_t(h[6]) | std::uint16_t(h[7]) << 8);
    off += 8;
    if (size < 0 || std::size_t(size) > payload.size() - off)
      throw FormatError(path, "XLI lead " + std::to_string(lead + 1) + ": chunk size " + std::to_string(size) +
                                  " exceeds the " + std::to_string(payload.size() - off) + " bytes left");
    std::vector<std::uint8_t> bytes = lzw10(payload.data() + off, std::size_t(size), lead, path);
    off += std::size_t(size);
    if (bytes.size() % 2) bytes.push_back(0);
    const std::size_t n = bytes.size() / 2;
    std::vector<std::int16_t> d(n);
    for (std::size_t i = 0; i < n; ++i) d[i] = std::int16_t(std::uint16_t(bytes[i]) << 8 | bytes[n + i]);
    if (n > 2) {
      // Second-order prediction; int32 arithmetic, wrapped to int16 as the stored samples are.
      std::int32_t x = d[0], y = d[1], last = first;
      for (std::size_t i = 2; i < n; ++i) {
        const std::int32_t z = std::int16_t(std::uint16_t(std::uint32_t(2 * y - x - last)));
        last = std::int32_t(d[i]) - 64;
        d[i] = std::int16_t(z);
        x = y;
        y = z;
      }
    }
    leads.push_back(std::move(d));
  }
  return leads;
}

}  // namespace cgdmer
