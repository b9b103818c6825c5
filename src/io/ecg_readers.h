// Readers for the ECG file formats cgdmer accepts. Each throws FormatError (naming the file
// and the problem) for malformed input and IoError for unreadable files; none ever reads
// out of bounds on a bad file. Byte layouts are documented where they are decoded.
//   WFDB:        <rec>.hea + signal file(s), formats 16 and 212 (checksums verified)
//   Challenge:   <rec>.hea + <rec>.mat (MAT v4 int16 matrix "val", header says "16+24")
//   CPSC 2018:   original MATLAB v5 <rec>.mat (zlib), struct ECG with .data (12 × n, mV)
#pragma once

#include <string>

#include "io/ecg_record.h"

namespace cgdmer {

// Reads the record described by a .hea file (WFDB or Challenge .mat signal files alike).
// `hea_path` may be given with or without the ".hea" suffix.
EcgRecord read_wfdb_record(const std::string& hea_path);

// Reads an original CPSC 2018 MAT v5 file. CPSC files carry no rate: fs is 500 Hz.
EcgRecord read_cpsc_mat(const std::string& mat_path, double fs = 500.0);

// Dispatch on the path: ".hea" (or a record name with a .hea beside it) → WFDB/Challenge;
// ".mat" with a .hea beside it → Challenge; ".mat" without → CPSC MAT v5.
EcgRecord read_any_record(const std::string& path);

}  // namespace cgdmer
