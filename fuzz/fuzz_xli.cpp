// Fuzz target: the XLI decoder alone (chunk headers, 10-bit LZW, byte halves, second-order
// differences), without the XML and base64 around it. Input: an XLI payload.
#include <cstdint>
#include <vector>

#include "fuzz_util.h"
#include "io/xli_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fz = cgdmer::fuzz;
  const std::vector<std::uint8_t> payload(data, data + size);
  fz::expect_clean([&] {
    const auto leads = cgdmer::xli_decode(payload, 16, "payload.xli");
    if (leads.size() > 16) __builtin_trap();
    // A chunk's LZW output is at most 1023 bytes per 10-bit code: bounded by the input.
    for (const auto& l : leads)
      if (l.size() > 1024 * size) __builtin_trap();
  });
  return 0;
}
