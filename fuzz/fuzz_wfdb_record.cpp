// Fuzz target: a whole WFDB record, header + signal bytes, through read_wfdb_record (header
// parsing, size checks, format 16 / 212 decoding, checksums, MAT v4 header of "16+24" files).
// Input: <.hea text> "\n=====\n" <signal file bytes>. The bytes are written as both rec.dat
// and rec.mat so that seeds for WFDB (.dat) and Challenge (.mat) records both reach decoding.
#include <cmath>
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "io/ecg_readers.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fz = cgdmer::fuzz;
  const auto parts = fz::sections(data, size, 2);
  const std::string hea = fz::write_scratch("rec.hea", parts[0]);
  fz::write_scratch("rec.dat", parts[1]);
  fz::write_scratch("rec.mat", parts[1]);
  fz::expect_clean([&] {
    const cgdmer::EcgRecord r = cgdmer::read_wfdb_record(hea);
    // A record that reads back must be self-consistent: a reader bug here would hand later
    // stages (preprocessing, the shard writer) a buffer shorter than they index.
    if (r.n_leads <= 0 || r.n_samples < 0) __builtin_trap();
    if (r.data.size() != std::size_t(r.n_leads) * std::size_t(r.n_samples)) __builtin_trap();
    if (r.lead_names.size() != std::size_t(r.n_leads) || r.units.size() != r.lead_names.size())
      __builtin_trap();
    if (!(r.fs > 0)) __builtin_trap();
  });
  return 0;
}
