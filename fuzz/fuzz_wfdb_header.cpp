// Fuzz target: the WFDB .hea parser (parse_wfdb_header) on arbitrary text.
// Checks beyond "no crash": a parsed header is internally consistent.
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "io/wfdb_header.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  cgdmer::fuzz::expect_clean([&] {
    const cgdmer::WfdbHeader h = cgdmer::parse_wfdb_header(text, "fuzz.hea");
    if (h.n_signals < 0 || std::size_t(h.n_signals) != h.signals.size()) __builtin_trap();
    if (!(h.fs > 0) || h.n_samples < -1) __builtin_trap();
    for (const auto& s : h.signals)
      if (!(s.gain > 0) || s.byte_offset < 0) __builtin_trap();
  });
  return 0;
}
