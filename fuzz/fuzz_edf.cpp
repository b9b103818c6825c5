// Fuzz target: EDF / EDF+ through read_edf (ASCII header fields, signal table, data-section
// size, int16 records, annotation signals, scaling). Input: the .edf file.
#include <cstdint>

#include "fuzz_record_checks.h"
#include "io/ecg_readers.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fz = cgdmer::fuzz;
  const std::string path = fz::write_scratch("rec.edf", {reinterpret_cast<const char*>(data), size});
  fz::expect_clean([&] { fz::check_record(cgdmer::read_edf(path)); });
  return 0;
}
