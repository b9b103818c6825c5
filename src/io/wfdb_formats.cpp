// WFDB sample formats 16 and 212, decoded from raw bytes (layouts below). Callers check sizes
// with wfdb_bytes_needed() first, so these never read past `bytes`.
#include "io/wfdb_formats.h"

namespace cgdmer {

std::size_t wfdb_bytes_needed(int format, std::int64_t n_values) {
  if (format == 16) return std::size_t(n_values) * 2;
  if (format == 212) return std::size_t(n_values / 2) * 3 + (n_values % 2 ? 2 : 0);
  return 0;
}

// Format 16 layout, per sample:  byte0 = bits 0-7, byte1 = bits 8-15 (two's complement).
void decode_format16(const std::uint8_t* b, std::int64_t n, std::int32_t* out) {
  for (std::int64_t i = 0; i < n; ++i)
    out[i] = std::int16_t(std::uint16_t(b[2 * i]) | std::uint16_t(b[2 * i + 1]) << 8);
}

// Format 212 layout, per pair of samples (A = even-indexed, B = odd-indexed):
//   byte0 = A bits 0-7
//   byte1 = low nibble: A bits 8-11, high nibble: B bits 8-11
//   byte2 = B bits 0-7
// Each 12-bit value is two's complement: values >= 2048 are negative (subtract 4096).
void decode_format212(const std::uint8_t* b, std::int64_t n, std::int32_t* out) {
  auto sign12 = [](std::int32_t v) { return v >= 2048 ? v - 4096 : v; };
  std::int64_t i = 0;
  for (; i + 1 < n; i += 2) {
    const std::uint8_t* p = b + (i / 2) * 3;
    out[i] = sign12(std::int32_t(p[0]) | (std::int32_t(p[1] & 0x0F) << 8));
    out[i + 1] = sign12(std::int32_t(p[2]) | (std::int32_t(p[1] & 0xF0) << 4));
  }
  if (i < n) {  // odd final sample: bytes 0 and the low nibble of byte 1
    const std::uint8_t* p = b + (i / 2) * 3;
    out[i] = sign12(std::int32_t(p[0]) | (std::int32_t(p[1] & 0x0F) << 8));
  }
}

}  // namespace cgdmer
