// Fuzz target: CPSC 2018 MATLAB v5 files through matio (read_cpsc_mat): the v5 container,
// zlib-compressed elements, the struct ECG and its fields. matio reads from a path, so the
// input goes through a scratch file.
#include <cstdint>

#include "fuzz_util.h"
#include "io/ecg_readers.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fz = cgdmer::fuzz;
  const std::string mat = fz::write_scratch("A0000.mat", {reinterpret_cast<const char*>(data), size});
  fz::expect_clean([&] {
    const cgdmer::EcgRecord r = cgdmer::read_cpsc_mat(mat);
    if (r.n_leads != 12 || r.n_samples <= 0) __builtin_trap();
    if (r.data.size() != 12 * std::size_t(r.n_samples)) __builtin_trap();
  });
  return 0;
}
