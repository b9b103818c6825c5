// Decoders for the WFDB sample formats cgdmer reads. Both take the bytes of one signal file
// (after any byte offset) holding `n_signals` interleaved signals and return the ADC values
// frame by frame: out[t * n_signals + s] = sample t of signal s of that file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cgdmer {

// Bytes that `n_values` samples (all signals, all frames) occupy in a format.
// Format 212 packs pairs into 3 bytes; an odd final sample takes 2 bytes (WFDB writes it so;
// some writers pad to 3, which callers accept).
std::size_t wfdb_bytes_needed(int format, std::int64_t n_values);

// Format 16: little-endian two's-complement int16 per sample.
void decode_format16(const std::uint8_t* bytes, std::int64_t n_values, std::int32_t* out);
// Format 212: two 12-bit two's-complement samples in 3 bytes.
void decode_format212(const std::uint8_t* bytes, std::int64_t n_values, std::int32_t* out);

}  // namespace cgdmer
