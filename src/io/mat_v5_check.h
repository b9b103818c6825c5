// check_mat_v5_structure: a cheap structural pre-check of a MATLAB v5 MAT-file, run before the
// file is handed to matio. matio trusts the sizes a file declares (it allocates dimension
// products, struct field tables and element buffers before reading the bytes behind them), so
// a few corrupt bytes can make it allocate gigabytes (found by fuzz/fuzz_mat_v5: a 283-byte
// file, 3.1 GB RSS and 20 s inside Mat_VarReadInfo). This walk refuses every declared size
// the file does not back; see mat_v5_check.cpp for exactly what is checked.
#pragma once

#include <string>

namespace cgdmer {

// Throws FormatError(path, problem) if the v5 element structure is inconsistent or declares
// more than the file can hold; IoError if the file cannot be read. Returns normally for a
// well-formed file. Reads tags and headers only (compressed elements are inflated through a
// small buffer, never held whole).
void check_mat_v5_structure(const std::string& path);

}  // namespace cgdmer
