// NumPy .npy writer/reader for float32 matrices (format 1.0): the 6-byte magic "\x93NUMPY",
// version 1.0, a little-endian u16 header length, an ASCII dict
// {'descr': '<f4', 'fortran_order': False, 'shape': (..), } padded with spaces and a final
// '\n' so that magic + 4 + header is a multiple of 64, then the raw C-order data.
// Torch-free; lives in serve because `embed` is its only writer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cgdmer {

// Writes data (row-major, shape.size() dims, product of shape = data.size()) atomically.
void write_npy_f32(const std::string& path, const float* data, const std::vector<std::int64_t>& shape);

struct NpyArray {
  std::vector<std::int64_t> shape;
  std::vector<float> data;
};
// Reads a little-endian float32, C-order .npy (v1.0/2.0). FormatError for anything else.
NpyArray read_npy_f32(const std::string& path);

}  // namespace cgdmer
