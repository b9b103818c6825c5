// Fuzz target: the safetensors reader (SafetensorsFile::open, from a scratch file). Every
// view it hands out must lie inside the file: reading all of its bytes lets ASan check that.
#include <cstdint>

#include "fuzz_util.h"
#include "io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fz = cgdmer::fuzz;
  const std::string path = fz::write_scratch("w.safetensors", {reinterpret_cast<const char*>(data), size});
  fz::expect_clean([&] {
    const auto f = cgdmer::SafetensorsFile::open(path);
    unsigned sum = 0;
    for (const auto& [name, v] : f.tensors()) {
      if (v.nbytes > size) __builtin_trap();
      for (std::size_t i = 0; i < v.nbytes; ++i) sum += v.data[i];
      (void)f.at(name);
    }
    volatile unsigned sink = sum;
    (void)sink;
  });
  return 0;
}
