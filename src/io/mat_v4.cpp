// MAT v4 header validation (layout below). MAT v4 has no file magic: the header is the
// first matrix's descriptor.
#include "io/mat_v4.h"

#include <cstring>

#include "core/error.h"

namespace cgdmer {

namespace {
std::int32_t le32(const std::uint8_t* p) {
  return std::int32_t(std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
                      std::uint32_t(p[3]) << 24);
}
}  // namespace

// MAT v4 matrix header, five little-endian int32 then the name:
//   [0]  type   = M*1000 + O*100 + P*10 + T; M=0 little-endian, O=0, P=3 int16, T=0 full → 30
//   [4]  mrows  (Challenge: number of leads)
//   [8]  ncols  (Challenge: number of samples per lead)
//   [12] imagf  (0: real)
//   [16] namlen (bytes of the name including its NUL; "val\0" → 4)
//   [20] name, then mrows*ncols int16 values, column-major.
void check_mat_v4_header(const std::uint8_t* b, std::size_t n, const std::string& path,
                         std::int64_t rows, std::int64_t cols, std::int64_t data_offset) {
  if (n < 20)
    throw FormatError(path, "MAT v4 header truncated: file has " + std::to_string(n) + " bytes");
  const std::int32_t type = le32(b), mrows = le32(b + 4), ncols = le32(b + 8), imagf = le32(b + 12),
                     namlen = le32(b + 16);
  if (type != 30)
    throw FormatError(path, "MAT v4 header: type " + std::to_string(type) +
                                ", expected 30 (little-endian int16 full matrix)");
  if (imagf != 0) throw FormatError(path, "MAT v4 header: complex matrix not supported");
  if (mrows != rows || ncols != cols)
    throw FormatError(path, "MAT v4 header: matrix is " + std::to_string(mrows) + " x " +
                                std::to_string(ncols) + ", .hea expects " + std::to_string(rows) +
                                " leads x " + std::to_string(cols) + " samples");
  if (namlen < 1 || 20 + std::int64_t(namlen) != data_offset)
    throw FormatError(path, "MAT v4 header: data starts at byte " + std::to_string(20 + namlen) +
                                ", .hea byte offset is " + std::to_string(data_offset));
}

}  // namespace cgdmer
