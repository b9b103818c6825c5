// Implements npy.h.
#include "serve/npy.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"

namespace cgdmer {

void write_npy_f32(const std::string& path, const float* data, const std::vector<std::int64_t>& shape) {
  std::int64_t n = 1;
  std::ostringstream dict;
  dict << "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    dict << shape[i] << (shape.size() == 1 || i + 1 < shape.size() ? ", " : "");
    n *= shape[i];
  }
  dict << "), }";
  std::string header = dict.str();
  const std::size_t unpadded = 6 + 2 + 2 + header.size() + 1;  // magic, version, len, '\n'
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  AtomicFile f(path);
  f.write("\x93NUMPY\x01\x00", 8);
  const std::uint16_t len = std::uint16_t(header.size());
  const unsigned char le[2] = {static_cast<unsigned char>(len & 0xff), static_cast<unsigned char>(len >> 8)};
  f.write(le, 2);
  f.write(header.data(), header.size());
  // float32 little-endian: this build only targets little-endian machines (x86-64, aarch64).
  f.write(data, std::size_t(n) * sizeof(float));
  f.commit();
}

NpyArray read_npy_f32(const std::string& path) {
  const std::string s = read_file(path);
  if (s.size() < 10 || s.compare(0, 6, "\x93NUMPY") != 0)
    throw FormatError(path, "not a .npy file (bad magic)");
  const int major = static_cast<unsigned char>(s[6]);
  std::size_t hlen = 0, off = 0;
  if (major == 1) {
    hlen = static_cast<unsigned char>(s[8]) | (std::size_t(static_cast<unsigned char>(s[9])) << 8);
    off = 10;
  } else if (major == 2 || major == 3) {
    if (s.size() < 12) throw FormatError(path, ".npy header truncated");
    for (int i = 0; i < 4; ++i) hlen |= std::size_t(static_cast<unsigned char>(s[8 + i])) << (8 * i);
    off = 12;
  } else {
    throw FormatError(path, ".npy version " + std::to_string(major) + " not supported");
  }
  if (off + hlen > s.size()) throw FormatError(path, ".npy header longer than the file");
  const std::string h = s.substr(off, hlen);
  if (h.find("'<f4'") == std::string::npos) throw FormatError(path, ".npy dtype is not little-endian float32 ('<f4')");
  if (h.find("'fortran_order': False") == std::string::npos) throw FormatError(path, ".npy is not C-order");
  const auto a = h.find("'shape': ("), b = h.find(')', a == std::string::npos ? 0 : a);
  if (a == std::string::npos || b == std::string::npos) throw FormatError(path, ".npy header has no shape");
  NpyArray out;
  std::stringstream ss(h.substr(a + 10, b - a - 10));
  std::string item;
  std::int64_t n = 1;
  while (std::getline(ss, item, ',')) {
    if (item.find_first_not_of(' ') == std::string::npos) continue;
    try {
      out.shape.push_back(std::stoll(item));
    } catch (const std::exception&) {
      throw FormatError(path, ".npy shape entry '" + item + "' is not an integer");
    }
    if (out.shape.back() < 0) throw FormatError(path, ".npy shape has a negative size");
    n *= out.shape.back();
  }
  if (s.size() - off - hlen != std::size_t(n) * sizeof(float))
    throw FormatError(path, ".npy data size does not match its shape");
  out.data.resize(std::size_t(n));
  std::memcpy(out.data.data(), s.data() + off + hlen, std::size_t(n) * sizeof(float));
  return out;
}

}  // namespace cgdmer
