// Fuzz target: HL7 aECG through read_hl7_aecg (libxml2 parse, RHYTHM series, time increment,
// origin/scale units, <digits> parsing, equal lead lengths). Input: the XML file.
#include <cstdint>

#include "fuzz_record_checks.h"
#include "io/ecg_readers.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fz = cgdmer::fuzz;
  const std::string path = fz::write_scratch("rec.xml", {reinterpret_cast<const char*>(data), size});
  fz::expect_clean([&] { fz::check_record(cgdmer::read_hl7_aecg(path)); });
  return 0;
}
