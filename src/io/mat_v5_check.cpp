// check_mat_v5_structure: walks the data elements of a MATLAB v5 MAT-file (tags and array
// headers only) and refuses any size the file declares but does not hold, before matio sees
// the file. Why: matio allocates what a file declares before reading it (see mat_v5_check.h).
//
// MAT v5 layout (MATLAB "MAT-File Format", R2024a, ch. 1):
//   128-byte header: 116 text, 8 subsystem offset, uint16 version 0x0100, "IM" (little-endian
//   file) or "MI" (big-endian). Then data elements, each an 8-byte tag (uint32 type, uint32
//   byte count) + body padded to 8 bytes; "small" elements (type's upper 16 bits = byte count
//   1..4) keep their body inside the tag. miCOMPRESSED (15) = zlib stream of one element (no
//   padding); miMATRIX (14) = array flags (miUINT32 ×2: class, complex/global/logical bits,
//   nzmax), dimensions (miINT32 × rank), name (miINT8), then per class: numeric/char → real
//   [+ imaginary] data element; struct → field-name length (miINT32), names (miINT8), then
//   elements × fields miMATRIX; object → class name, then like struct; cell → elements ×
//   miMATRIX; sparse → ir, jc, pr [, pi]. A miMATRIX with byte count 0 is an empty array.
//
// What is checked (each failure → FormatError naming the file and the problem):
//   - every element's byte count fits what is left of its parent (at the top: of the file);
//   - miCOMPRESSED: its stream inflates, within its compressed bytes, to one miMATRIX whose
//     declared size is really there; at most kMaxInflatedBytes per element (zip bombs);
//   - miMATRIX: known class, dimensions >= 0, rank 2..64; numeric/char: dims product × stored
//     element size <= the data element's byte count; struct/object: elements × fields × 8
//     (one tag per field value) <= bytes left; cell: elements × 8 <= bytes left;
//   - per top-level variable, an estimate of what matio would allocate (dims product × 8 per
//     array, kNodeBytes per nested array) <= kMaxVariableBytes; nesting <= kMaxDepth.
// Function-handle and opaque (classdef object) arrays are refused: ECG files hold none.
#include "io/mat_v5_check.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"

namespace cgdmer {

namespace {

// 256 MiB of arrays per variable: 12 leads × 2.8 M double samples (93 min at 500 Hz); the
// longest CPSC 2018 record (144 s) is 6.9 MB.
constexpr std::uint64_t kMaxVariableBytes = 256ull << 20;
constexpr std::uint64_t kMaxInflatedBytes = 2 * kMaxVariableBytes;  // + tags, names, padding
constexpr std::uint64_t kNodeBytes = 256;  // ~ one matvar_t + its bookkeeping in matio
constexpr int kMaxDepth = 16;              // CPSC files nest 2 levels (struct ECG → fields)
constexpr std::uint64_t kHeaderBytes = 128;

enum : std::uint32_t { miINT8 = 1, miINT32 = 5, miUINT32 = 6, miMATRIX = 14, miCOMPRESSED = 15 };
enum : std::uint32_t { mxCELL = 1, mxSTRUCT = 2, mxOBJECT = 3, mxCHAR = 4, mxSPARSE = 5,
                       mxUINT64 = 15, mxFUNCTION = 16, mxOPAQUE = 17 };

// Bytes per value of a numeric data type; 0 for types that cannot hold array data.
std::uint64_t type_size(std::uint32_t type) {
  switch (type) {
    case 1: case 2: case 16: return 1;           // miINT8, miUINT8, miUTF8
    case 3: case 4: case 17: return 2;           // miINT16, miUINT16, miUTF16
    case 5: case 6: case 7: case 18: return 4;   // miINT32, miUINT32, miSINGLE, miUTF32
    case 9: case 12: case 13: return 8;          // miDOUBLE, miINT64, miUINT64
    default: return 0;
  }
}

// a × b, saturating at 2^63 (only ever compared with bounds far below that).
std::uint64_t mul(std::uint64_t a, std::uint64_t b) {
  constexpr std::uint64_t kSat = 1ull << 63;
  if (a != 0 && b > kSat / a) return kSat;
  return std::min(a * b, kSat);
}

// Sequential bytes of one element body: the file itself or an inflating zlib stream.
class Source {
 public:
  virtual ~Source() = default;
  virtual void read(void* dst, std::size_t n) = 0;  // throws FormatError if the data ends
  void skip(std::uint64_t n) {
    std::array<char, 16384> buf;
    while (n > 0) {
      const std::size_t k = std::size_t(std::min<std::uint64_t>(n, buf.size()));
      read(buf.data(), k);
      n -= k;
    }
  }
};

class FileSource : public Source {
 public:
  FileSource(std::ifstream& in, const std::string& path) : in_(in), path_(path) {}
  void read(void* dst, std::size_t n) override {
    in_.read(static_cast<char*>(dst), std::streamsize(n));
    if (std::size_t(in_.gcount()) != n) throw FormatError(path_, "MAT-file is truncated");
  }

 private:
  std::ifstream& in_;
  const std::string& path_;
};

// Inflates the `compressed` bytes that follow in `in`; refuses to produce more than
// kMaxInflatedBytes.
class InflateSource : public Source {
 public:
  InflateSource(std::ifstream& in, std::uint64_t compressed, const std::string& path)
      : in_(in), in_left_(compressed), path_(path) {
    if (inflateInit(&z_) != Z_OK) throw FormatError(path_, "zlib cannot be initialised");
  }
  ~InflateSource() override { inflateEnd(&z_); }
  InflateSource(const InflateSource&) = delete;
  InflateSource& operator=(const InflateSource&) = delete;

  void read(void* dst, std::size_t n) override {
    if (produced_ + n > kMaxInflatedBytes)
      throw FormatError(path_, "compressed element inflates to more than " +
                                   std::to_string(kMaxInflatedBytes >> 20) + " MiB");
    z_.next_out = static_cast<Bytef*>(dst);
    z_.avail_out = uInt(n);
    while (z_.avail_out > 0) {
      if (z_.avail_in == 0) {
        if (in_left_ == 0) throw FormatError(path_, "compressed element ends before its declared size");
        const std::size_t k = std::size_t(std::min<std::uint64_t>(in_left_, buf_.size()));
        in_.read(buf_.data(), std::streamsize(k));
        if (std::size_t(in_.gcount()) != k) throw FormatError(path_, "MAT-file is truncated");
        in_left_ -= k;
        z_.next_in = reinterpret_cast<Bytef*>(buf_.data());
        z_.avail_in = uInt(k);
      }
      const int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END && z_.avail_out > 0)
        throw FormatError(path_, "compressed element ends before its declared size");
      if (rc != Z_OK && rc != Z_STREAM_END)
        throw FormatError(path_, std::string("corrupt zlib data in compressed element (") +
                                     (z_.msg ? z_.msg : "zlib error " + std::to_string(rc)) + ")");
    }
    produced_ += n;
  }

 private:
  std::ifstream& in_;
  std::uint64_t in_left_;
  const std::string& path_;
  z_stream z_{};
  std::array<char, 16384> buf_{};
  std::uint64_t produced_ = 0;
};

struct Tag {
  std::uint32_t type = 0;
  std::uint32_t nbytes = 0;
  bool small = false;
  std::array<unsigned char, 4> small_body{};
};

class Walker {
 public:
  Walker(const std::string& path, bool swap) : path_(path), swap_(swap) {}

  std::uint32_t u32(const unsigned char* p) const {
    std::uint32_t v = std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
                      std::uint32_t(p[3]) << 24;
    return swap_ ? __builtin_bswap32(v) : v;
  }

  [[noreturn]] void fail(const std::string& problem) const { throw FormatError(path_, problem); }

  // Reads a tag from `src`, charging its 8 bytes to `left`.
  Tag tag(Source& src, std::uint64_t& left, const char* what) const {
    if (left < 8) fail(std::string(what) + " is missing (its parent element ends)");
    unsigned char b[8];
    src.read(b, 8);
    left -= 8;
    Tag t;
    const std::uint32_t w0 = u32(b);
    if (w0 >> 16) {  // small element: byte count in the upper half, body in bytes 4..7
      t.small = true;
      t.type = w0 & 0xFFFF;
      t.nbytes = w0 >> 16;
      if (t.nbytes > 4) fail(std::string(what) + ": small data element declares " + std::to_string(t.nbytes) + " bytes (max 4)");
      std::copy(b + 4, b + 8, t.small_body.begin());
    } else {
      t.type = w0;
      t.nbytes = u32(b + 4);
      if (t.nbytes > left)
        fail(std::string(what) + " declares " + std::to_string(t.nbytes) + " bytes, its parent holds only " +
             std::to_string(left));
    }
    return t;
  }

  // Reads (up to `max` bytes of) the body of `t` into `out`, skips the rest and the padding.
  void body(Source& src, const Tag& t, std::uint64_t& left, std::size_t max, std::vector<unsigned char>& out) const {
    if (t.small) {
      out.resize(std::min<std::size_t>({t.nbytes, max, t.small_body.size()}));
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = t.small_body[i];
      return;
    }
    out.resize(std::min<std::size_t>(t.nbytes, max));
    src.read(out.data(), out.size());
    skip_rest(src, t, left, out.size());
  }
  // Skips the body of `t` after its first `done` bytes, plus the padding to 8 bytes (the last
  // element of a parent may lack it).
  void skip_rest(Source& src, const Tag& t, std::uint64_t& left, std::uint64_t done) const {
    if (t.small) return;
    const std::uint64_t pad = std::min<std::uint64_t>((8 - t.nbytes % 8) % 8, left - t.nbytes);
    src.skip(t.nbytes - done + pad);
    left -= t.nbytes + pad;
  }

  // The body of a miMATRIX element of `nbytes` bytes; `total` accumulates the allocation estimate.
  void matrix(Source& src, std::uint64_t nbytes, int depth, std::uint64_t& total) const {
    if (depth > kMaxDepth) fail("arrays nested deeper than " + std::to_string(kMaxDepth) + " levels");
    charge(total, kNodeBytes);
    if (nbytes == 0) return;  // empty array
    std::uint64_t left = nbytes;
    std::vector<unsigned char> buf;

    const Tag flags = tag(src, left, "array flags");
    if (flags.type != miUINT32 || flags.nbytes != 8) fail("array flags are not 2 × miUINT32");
    body(src, flags, left, 8, buf);
    const std::uint32_t cls = u32(buf.data()) & 0xFF;
    const bool complex = u32(buf.data()) & 0x800;
    const std::uint64_t nzmax = u32(buf.data() + 4);
    if (cls < mxCELL || cls > mxOPAQUE) fail("unknown array class " + std::to_string(cls));
    // Function handles and opaque (classdef) objects: matio sizes them from fields whose
    // layout differs from plain arrays (a class-16 array declaring 2^38 elements made it
    // malloc 3 TB, found by fuzz/fuzz_mat_v5). ECG files hold neither: refuse them.
    if (cls > mxUINT64)
      fail(std::string(cls == mxFUNCTION ? "function handle" : "opaque object") +
           " arrays are not supported in an ECG MAT-file");

    const Tag dims = tag(src, left, "array dimensions");
    if (dims.type != miINT32 || dims.nbytes % 4 != 0 || dims.nbytes < 8 || dims.nbytes > 4 * 64)
      fail("array dimensions are not 2..64 × miINT32");
    body(src, dims, left, dims.nbytes, buf);
    std::uint64_t n = 1, last_dim = 0;
    for (std::size_t i = 0; i < buf.size(); i += 4) {
      const auto d = std::int32_t(u32(buf.data() + i));
      if (d < 0) fail("negative array dimension " + std::to_string(d));
      n = mul(n, std::uint64_t(d));
      last_dim = std::uint64_t(d);
    }

    const Tag name = tag(src, left, "array name");
    if (name.type != miINT8) fail("array name is not miINT8");
    skip_rest(src, name, left, 0);

    if (cls == mxCELL || cls == mxSTRUCT || cls == mxOBJECT) {
      if (cls == mxOBJECT) {
        const Tag cname = tag(src, left, "object class name");
        if (cname.type != miINT8) fail("object class name is not miINT8");
        skip_rest(src, cname, left, 0);
      }
      std::uint64_t fields = 1;
      if (cls != mxCELL) {
        const Tag len_tag = tag(src, left, "struct field-name length");
        if (len_tag.type != miINT32 || len_tag.nbytes != 4) fail("struct field-name length is not one miINT32");
        body(src, len_tag, left, 4, buf);
        const std::uint32_t len = u32(buf.data());
        const Tag names = tag(src, left, "struct field names");
        if (names.type != miINT8) fail("struct field names are not miINT8");
        if (len == 0 ? names.nbytes != 0 : names.nbytes % len != 0)
          fail("struct field names (" + std::to_string(names.nbytes) + " bytes) are not a multiple of the name length " +
               std::to_string(len));
        fields = len == 0 ? 0 : names.nbytes / len;
        skip_rest(src, names, left, 0);
      }
      const std::uint64_t children = mul(n, fields);
      if (mul(children, 8) > left)
        fail("array declares " + std::to_string(n) + " elements × " + std::to_string(fields) +
             " fields but holds only " + std::to_string(left) + " bytes for them");
      charge(total, mul(children, 8));
      for (std::uint64_t i = 0; i < children; ++i) {
        const Tag child = tag(src, left, "struct/cell element");
        if (child.small || child.type != miMATRIX) fail("struct/cell element is not a miMATRIX");
        matrix(src, child.nbytes, depth + 1, total);
        left -= child.nbytes;
        const std::uint64_t pad = std::min<std::uint64_t>((8 - child.nbytes % 8) % 8, left);
        src.skip(pad);
        left -= pad;
      }
    } else if (cls == mxSPARSE) {
      // ir, jc, pr [, pi]: sized from nzmax (ir, pr, pi) and the column count + 1 (jc).
      charge(total, mul(nzmax, 20));
      charge(total, mul(last_dim + 1, 8));
      while (left >= 8) {
        const Tag part = tag(src, left, "sparse array part");
        if (type_size(part.type) == 0) fail("sparse array part has non-numeric type " + std::to_string(part.type));
        charge(total, mul(part.nbytes, 8));
        skip_rest(src, part, left, 0);
      }
    } else {  // char or numeric: real part, then imaginary part if complex
      charge(total, mul(mul(n, 8), complex ? 2 : 1));
      for (int part = 0; part < (complex ? 2 : 1); ++part) {
        if (n == 0 && left < 8) break;  // empty: the data element may be left out
        const Tag data = tag(src, left, part ? "imaginary part" : "array data");
        const std::uint64_t size = type_size(data.type);
        if (size == 0) fail("array data has non-numeric type " + std::to_string(data.type));
        if (mul(n, size) > data.nbytes)
          fail("array declares " + std::to_string(n) + " elements of " + std::to_string(size) +
               " bytes but its data element holds " + std::to_string(data.nbytes) + " bytes");
        skip_rest(src, data, left, 0);
      }
    }
    src.skip(left);  // anything MATLAB may append is only bounds-checked
  }

  void charge(std::uint64_t& total, std::uint64_t bytes) const {
    total = std::min(total + bytes, std::uint64_t(1) << 62);
    if (total > kMaxVariableBytes)
      fail("variable declares more than " + std::to_string(kMaxVariableBytes >> 20) +
           " MiB of arrays (corrupt, or too large for an ECG record)");
  }

 private:
  const std::string& path_;
  bool swap_;
};

}  // namespace

void check_mat_v5_structure(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, "cannot open");
  in.seekg(0, std::ios::end);
  const std::uint64_t file_bytes = std::uint64_t(in.tellg());
  in.seekg(0);
  unsigned char head[kHeaderBytes];
  if (file_bytes < kHeaderBytes || !in.read(reinterpret_cast<char*>(head), kHeaderBytes))
    throw FormatError(path, "not a MATLAB MAT-file (shorter than the 128-byte v5 header)");
  const bool le = head[126] == 'I' && head[127] == 'M', be = head[126] == 'M' && head[127] == 'I';
  const unsigned version = le ? head[124] | head[125] << 8 : head[124] << 8 | head[125];
  if ((!le && !be) || version != 0x0100)
    throw FormatError(path, "not a MATLAB v5 MAT-file (header lacks version 0x0100 + IM/MI)");
  const bool host_le = [] { const std::uint16_t one = 1; return *reinterpret_cast<const unsigned char*>(&one) == 1; }();
  const Walker walk(path, le != host_le);

  FileSource file(in, path);
  std::uint64_t left = file_bytes - kHeaderBytes;
  while (left >= 8) {  // a few trailing bytes (< one tag) are ignored, as matio does
    const Tag t = walk.tag(file, left, "top-level element");
    std::uint64_t total = 0;
    if (t.small) continue;
    if (t.type == miCOMPRESSED) {
      InflateSource z(in, t.nbytes, path);
      std::uint64_t inner_left = kMaxInflatedBytes;
      const Tag inner = walk.tag(z, inner_left, "compressed element");
      if (inner.small || inner.type != miMATRIX) walk.fail("compressed element does not hold a miMATRIX");
      walk.matrix(z, inner.nbytes, 0, total);
      // Continue after the compressed bytes (matio seeks there too), not after what was inflated.
      in.clear();
      in.seekg(std::streamoff(file_bytes - left + t.nbytes));
    } else if (t.type == miMATRIX) {
      walk.matrix(file, t.nbytes, 0, total);
    } else {
      file.skip(t.nbytes);
    }
    left -= t.nbytes;
  }
}

}  // namespace cgdmer
