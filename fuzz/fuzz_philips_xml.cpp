// Fuzz target: Philips SierraECG / PhilipsECG XML through read_philips_xml (libxml2 parse, lead
// labels, base64, XLI decode, limb-lead residuals, interpretation text). Input: the XML file.
#include <cstdint>

#include "fuzz_record_checks.h"
#include "io/ecg_readers.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fz = cgdmer::fuzz;
  const std::string path = fz::write_scratch("rec.xml", {reinterpret_cast<const char*>(data), size});
  fz::expect_clean([&] { fz::check_record(cgdmer::read_philips_xml(path)); });
  return 0;
}
