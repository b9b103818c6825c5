// Fuzz target: DICOM ECG waveform objects through read_dicom_ecg (DCMTK's dcmdata parses the
// file; our code interprets the Waveform Module: group choice, channel table, sample size,
// WaveformData length, sensitivities). Input: the .dcm file.
#include <cstdint>

#include "fuzz_record_checks.h"
#include "io/ecg_readers.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fz = cgdmer::fuzz;
  const std::string path = fz::write_scratch("rec.dcm", {reinterpret_cast<const char*>(data), size});
  fz::expect_clean([&] { fz::check_record(cgdmer::read_dicom_ecg(path)); });
  return 0;
}
