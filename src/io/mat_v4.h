// MAT v4 matrix header check for PhysioNet Challenge .mat signal files, whose .hea says
// "16+24": a 24-byte MAT v4 header, then the int16 matrix "val" (n_leads rows × n_samples
// columns, column-major, i.e. frame-interleaved exactly like WFDB format 16).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace cgdmer {

// Validates the MAT v4 header at the start of `bytes` (size `n`): little-endian int16 full
// real matrix with `rows` × `cols`, whose data starts exactly at `data_offset`.
// Throws FormatError naming `path` and the mismatch.
void check_mat_v4_header(const std::uint8_t* bytes, std::size_t n, const std::string& path,
                         std::int64_t rows, std::int64_t cols, std::int64_t data_offset);

}  // namespace cgdmer
