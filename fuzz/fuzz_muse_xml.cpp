// Fuzz target: GE MUSE XML through read_muse_xml (libxml2 parse, Rhythm waveform lookup, base64,
// CRC-32, sample counts, limb-lead derivation). Input: the XML file.
#include <cstdint>

#include "fuzz_record_checks.h"
#include "io/ecg_readers.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fz = cgdmer::fuzz;
  const std::string path = fz::write_scratch("rec.xml", {reinterpret_cast<const char*>(data), size});
  fz::expect_clean([&] { fz::check_record(cgdmer::read_muse_xml(path)); });
  return 0;
}
