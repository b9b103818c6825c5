// check_mat_v5_structure (the MAT v5 pre-check run before matio): real CPSC 2018 files and a
// hand-built CPSC-like file pass (and the latter reads through matio, which proves the builder
// below writes what matio understands); files declaring more than they hold are refused with
// a FormatError naming the file and the problem, before matio is called.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/ecg_readers.h"
#include "io/mat_v5_check.h"
#include "io_test_util.h"

namespace cgdmer {
namespace {

namespace fs = std::filesystem;
using cgdmer::testing::TempDir;
using cgdmer::testing::write_file;

// ---- a minimal little-endian MAT v5 writer -------------------------------------------------
std::string u32(std::uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }
std::string header() {
  std::string h(116, ' ');
  h.replace(0, 19, "MATLAB 5.0 MAT-file");
  h += std::string(8, '\0');
  h += std::string("\x00\x01", 2) + "IM";  // version 0x0100, little-endian
  return h;
}
// Data element: tag (type, byte count) + body padded to 8 bytes.
std::string elem(std::uint32_t type, const std::string& body) {
  return u32(type) + u32(std::uint32_t(body.size())) + body + std::string((8 - body.size() % 8) % 8, '\0');
}
// Small data element (body of 1..4 bytes kept inside the tag).
std::string small(std::uint32_t type, const std::string& body) {
  return u32(std::uint32_t(body.size()) << 16 | type) + body + std::string(4 - body.size(), '\0');
}
// miMATRIX: flags (class), dims, name, then the class-specific rest.
std::string matrix(std::uint32_t cls, std::vector<std::uint32_t> dims, const std::string& name,
                   const std::string& rest) {
  std::string d;
  for (auto x : dims) d += u32(x);
  const std::string nm = name.size() <= 4 && !name.empty() ? small(1, name) : elem(1, name);
  return elem(14, elem(6, u32(cls) + u32(0)) + elem(5, d) + nm + rest);
}
std::string doubles(const std::vector<double>& v) {
  return elem(9, std::string(reinterpret_cast<const char*>(v.data()), v.size() * 8));
}
// struct ECG {sex: 'Male', age: 60, data: 12 × n} like the CPSC 2018 files; `struct_cols`
// and `data_cols` are the declared dimensions (the data holds 12 × n values).
std::string cpsc_like(std::uint32_t n, std::uint32_t struct_cols = 1, std::uint32_t data_cols = 0) {
  std::vector<double> data(12 * n);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = 0.001 * double(i);
  std::string names = std::string("sex\0\0\0\0\0age\0\0\0\0\0data\0\0\0\0", 24);
  std::string fields = matrix(4, {1, 4}, "", elem(16, "Male")) + matrix(6, {1, 1}, "", doubles({60})) +
                       matrix(6, {12, data_cols ? data_cols : n}, "", doubles(data));
  return matrix(2, {1, struct_cols}, "ECG", small(5, u32(8)) + elem(1, names) + fields);
}
std::string compressed(const std::string& element) {
  uLongf n = compressBound(uLong(element.size()));
  std::string z(n, '\0');
  EXPECT_EQ(compress(reinterpret_cast<Bytef*>(&z[0]), &n, reinterpret_cast<const Bytef*>(element.data()),
                     uLong(element.size())),
            Z_OK);
  z.resize(n);
  return u32(15) + u32(std::uint32_t(z.size())) + z;
}

// Expects check_mat_v5_structure to refuse `bytes` with a message naming the file and `part`.
void expect_refused(const std::string& bytes, const std::string& part) {
  TempDir dir;
  const std::string p = dir / "A0001.mat";
  write_file(p, bytes);
  try {
    check_mat_v5_structure(p);
    ADD_FAILURE() << "accepted; expected: " << part;
  } catch (const FormatError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(p), std::string::npos) << msg;
    EXPECT_NE(msg.find(part), std::string::npos) << "'" << part << "' not in: " << msg;
  }
  // And through the reader: the same clean error, not a matio allocation.
  EXPECT_THROW(read_cpsc_mat(p), FormatError);
}

TEST(MatV5Check, RealCpscFilesPass) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(cgdmer::testing::shared_data("cpsc2018"))) {
    if (e.path().extension() != ".mat") continue;
    SCOPED_TRACE(e.path().string());
    EXPECT_NO_THROW(check_mat_v5_structure(e.path().string()));
    ++n;
  }
  EXPECT_GE(n, 10);
}

TEST(MatV5Check, HandBuiltFilesPassAndRead) {
  TempDir dir;
  for (const bool zip : {false, true}) {
    const std::string p = dir / (zip ? "z.mat" : "plain.mat");
    write_file(p, header() + (zip ? compressed(cpsc_like(3)) : cpsc_like(3)));
    EXPECT_NO_THROW(check_mat_v5_structure(p));
    const EcgRecord r = read_cpsc_mat(p);
    EXPECT_EQ(r.n_leads, 12);
    EXPECT_EQ(r.n_samples, 3);
    EXPECT_FLOAT_EQ(r.data[1 * 3 + 2], 0.001f * (1 + 12 * 2));  // lead 1, sample 2 (column-major)
  }
}

TEST(MatV5Check, RefusesDeclaredSizesTheFileDoesNotHold) {
  // The open fuzz finding (matio used 3.1 GB on it): top-level miMATRIX of 632 bytes in 283.
  const std::string finding = cgdmer::testing::read_file(std::string(CGDMER_SOURCE_DIR) +
                                              "/tests/reliability/fuzz_regressions/fuzz_mat_v5/matio_readinfo_3GB_283B");
  ASSERT_EQ(finding.size(), 283u);
  expect_refused(finding, "top-level element declares 632 bytes, its parent holds only 147");
  // Struct 1 × 3,000,000 with 3 fields: 9 M field values cannot fit in a few hundred bytes.
  expect_refused(header() + cpsc_like(3, 3000000), "3000000 elements × 3 fields");
  // Data declared 12 × 1,000,000 but holding 12 × 3 doubles.
  expect_refused(header() + cpsc_like(3, 1, 1000000), "12000000 elements of 8 bytes");
  // Same inside a compressed element (the check inflates it).
  expect_refused(header() + compressed(cpsc_like(3, 1, 1000000)), "12000000 elements of 8 bytes");
  // Compressed stream cut short (its byte count says less than the stream needs).
  std::string z = compressed(cpsc_like(3));
  const std::uint32_t cut = std::uint32_t(z.size() - 8 - 20);
  std::memcpy(&z[4], &cut, 4);
  expect_refused(header() + z.substr(0, 8 + cut), "compressed element ends before its declared size");
  // Compressed miMATRIX declaring more than kMaxInflatedBytes (a zip bomb need not be built).
  expect_refused(header() + compressed(u32(14) + u32(0xFFFFFF00u) + cpsc_like(3).substr(8)),
                 "compressed element declares 4294967040 bytes");
  // Nesting: cells in cells, deeper than the limit.
  std::string nested = matrix(6, {1, 1}, "", doubles({1}));
  for (int i = 0; i < 20; ++i) nested = matrix(1, {1, 1}, i == 19 ? "ECG" : "", nested);
  expect_refused(header() + nested, "nested deeper than 16 levels");
  expect_refused(header().substr(0, 100), "not a MATLAB MAT-file (shorter than the 128-byte v5 header)");
}

}  // namespace
}  // namespace cgdmer
