// Fuzz target: Challenge MAT v4 signal files ("16+24" in the .hea). The first 3 input bytes
// choose the record's shape (leads 1..12, samples 0..4095) written into a fixed .hea; the rest
// is the .mat file: MAT v4 header check (check_mat_v4_header), size checks, int16 decoding.
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "io/ecg_readers.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fz = cgdmer::fuzz;
  if (size < 3) return 0;
  const int leads = 1 + data[0] % 12;
  const int samples = (data[1] | data[2] << 8) & 0x0FFF;
  std::string hea = "rec " + std::to_string(leads) + " 500 " + std::to_string(samples) + "\n";
  for (int l = 0; l < leads; ++l)
    hea += "rec.mat 16+24 1000/mV 16 0 0 0 0 L" + std::to_string(l) + "\n";
  hea += "#Dx: 426783006\n";
  const std::string hea_path = fz::write_scratch("rec.hea", hea);
  fz::write_scratch("rec.mat", {reinterpret_cast<const char*>(data) + 3, size - 3});
  fz::expect_clean([&] {
    const cgdmer::EcgRecord r = cgdmer::read_any_record(hea_path);
    if (r.n_leads != leads || r.n_samples != samples) __builtin_trap();
    if (r.data.size() != std::size_t(leads) * std::size_t(samples)) __builtin_trap();
  });
  return 0;
}
