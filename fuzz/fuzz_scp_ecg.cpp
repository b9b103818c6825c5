// Fuzz target: SCP-ECG through read_scp_ecg (record and section CRCs, section 0 pointers,
// lead table, Huffman tables and bit decoding, difference decoding). Input: the .scp file.
// A mutated file almost always fails its CRCs, which would keep the fuzzer at the first check:
// the harness rewrites the CRC of every section that section 0 points to inside the file, then
// the record CRC, so mutations reach the decoding (the CRC checks themselves stay covered by
// tests/io/test_clinical_readers.cpp).
#include <cstdint>
#include <string>

#include "fuzz_record_checks.h"
#include "io/ecg_readers.h"

namespace {

std::uint16_t crc_ccitt(const std::string& b, std::size_t begin, std::size_t end) {
  std::uint16_t crc = 0xFFFF;
  for (std::size_t i = begin; i < end; ++i) {
    crc ^= std::uint16_t(std::uint8_t(b[i]) << 8);
    for (int k = 0; k < 8; ++k) crc = std::uint16_t(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
  }
  return crc;
}
std::uint32_t le32(const std::string& b, std::size_t o) {
  return std::uint32_t(std::uint8_t(b[o])) | std::uint32_t(std::uint8_t(b[o + 1])) << 8 |
         std::uint32_t(std::uint8_t(b[o + 2])) << 16 | std::uint32_t(std::uint8_t(b[o + 3])) << 24;
}
void put_crc(std::string& b, std::size_t begin, std::size_t end) {
  const std::uint16_t c = crc_ccitt(b, begin + 2, end);
  b[begin] = char(c & 0xFF);
  b[begin + 1] = char(c >> 8);
}

void fix_crcs(std::string& b) {
  if (b.size() < 22) return;
  const std::size_t s0_len = le32(b, 8);
  if (s0_len < 16 || s0_len > b.size() - 6) return;
  for (std::size_t o = 6 + 16; o + 10 <= 6 + s0_len; o += 10) {
    const std::size_t len = le32(b, o + 2), index = le32(b, o + 6);
    if (index >= 7 && len >= 16 && index - 1 <= b.size() && len <= b.size() - (index - 1))
      put_crc(b, index - 1, index - 1 + len);
  }
  put_crc(b, 6, 6 + s0_len);
  put_crc(b, 0, b.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fz = cgdmer::fuzz;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  fix_crcs(bytes);
  const std::string path = fz::write_scratch("rec.scp", bytes);
  fz::expect_clean([&] { fz::check_record(cgdmer::read_scp_ecg(path)); });
  return 0;
}
