// Fuzz target: the RFC 4180 CSV reader (CsvTable::parse). A parsed table must be rectangular
// and every header name must resolve to its column.
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "io/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  cgdmer::fuzz::expect_clean([&] {
    const cgdmer::CsvTable t = cgdmer::CsvTable::parse(text, "fuzz.csv");
    const std::size_t width = t.header().size();
    if (width == 0) __builtin_trap();
    for (std::size_t r = 0; r < t.n_rows(); ++r)
      if (t.row(r).size() != width) __builtin_trap();
    for (const auto& name : t.header()) {
      if (!t.has_column(name)) __builtin_trap();
      const int c = t.column(name);
      if (c < 0 || std::size_t(c) >= width) __builtin_trap();
      for (std::size_t r = 0; r < t.n_rows(); ++r) (void)t.at(r, name).size();
    }
  });
  return 0;
}
