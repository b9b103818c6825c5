// Fuzz target: a CSV ECG through CsvTable::parse + csv_record_from_table (lead names, numbers,
// empty cells), at 500 Hz in µV. Input: the CSV text.
#include <cstdint>

#include "fuzz_record_checks.h"
#include "io/csv.h"
#include "io/ecg_readers.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fz = cgdmer::fuzz;
  fz::expect_clean([&] {
    const cgdmer::CsvTable t = cgdmer::CsvTable::parse({reinterpret_cast<const char*>(data), size}, "rec.csv");
    fz::check_record(cgdmer::csv_record_from_table(t, 500.0, cgdmer::CsvUnits::kMicrovolts));
  });
  return 0;
}
