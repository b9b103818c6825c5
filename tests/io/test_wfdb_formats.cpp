// Byte-level checks of the WFDB decoders (format 212 packing, sign extension, odd final
// sample, invalid-sample marker) and a mutation test: randomly corrupted real headers must
// either read or fail with a cgdmer::Error, never crash or throw anything else.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "core/error.h"
#include "io/ecg_readers.h"
#include "io/wfdb_formats.h"
#include "io_test_util.h"

namespace cgdmer {
namespace {

using cgdmer::testing::TempDir;
using cgdmer::testing::write_file;

TEST(WfdbFormats, Format212PackingAndSignExtension) {
  // Values -1 (0xFFF), 2047 (0x7FF), -2048 (0x800, odd tail: 2 bytes).
  const std::uint8_t b[] = {0xFF, 0x7F, 0xFF, 0x00, 0x08};
  EXPECT_EQ(wfdb_bytes_needed(212, 3), 5u);
  EXPECT_EQ(wfdb_bytes_needed(212, 4), 6u);
  EXPECT_EQ(wfdb_bytes_needed(16, 3), 6u);
  std::int32_t out[3];
  decode_format212(b, 3, out);
  EXPECT_EQ(out[0], -1);
  EXPECT_EQ(out[1], 2047);
  EXPECT_EQ(out[2], -2048);
}

TEST(WfdbFormats, Format16LittleEndianSigned) {
  const std::uint8_t b[] = {0x01, 0x00, 0xFF, 0xFF, 0x00, 0x80, 0xFF, 0x7F};
  std::int32_t out[4];
  decode_format16(b, 4, out);
  EXPECT_EQ(out[0], 1);
  EXPECT_EQ(out[1], -1);
  EXPECT_EQ(out[2], -32768);
  EXPECT_EQ(out[3], 32767);
}

TEST(WfdbFormats, InvalidSampleBecomesNanAndPhysicalUnits) {
  TempDir dir;
  // Two signals interleaved: frames (10, -32768), (-20, 4), (30, 6); gain 10, baseline 5 on s1.
  const std::uint8_t b[] = {10, 0, 0x00, 0x80, 0xEC, 0xFF, 4, 0, 30, 0, 6, 0};
  write_file(dir / "t.dat", std::string(reinterpret_cast<const char*>(b), sizeof b));
  write_file(dir / "t.hea",
             "t 2 250 3\n"
             "t.dat 16 10(5)/mV 16 0 10 20 0 I\n"
             "t.dat 16 200/uV 16 0 -32768 -32758 0 II\n");
  const EcgRecord r = read_wfdb_record(dir / "t");
  ASSERT_EQ(r.n_samples, 3);
  EXPECT_EQ(r.fs, 250);
  EXPECT_FLOAT_EQ(r.lead(0)[0], 0.5f);   // (10 - 5) / 10
  EXPECT_FLOAT_EQ(r.lead(0)[1], -2.5f);  // (-20 - 5) / 10
  EXPECT_TRUE(std::isnan(r.lead(1)[0]));  // WFDB invalid-sample marker
  EXPECT_FLOAT_EQ(r.lead(1)[2], 0.03f);
  EXPECT_EQ(r.units[1], "uV");
}

TEST(WfdbFormats, Format212PaddedOddTailAcceptedLongerRejected) {
  TempDir dir;
  // One signal, 3 samples: 5 bytes needed; a 6-byte (padded) file is also valid WFDB.
  const std::string bytes("\x01\x20\x02\x03\x00\x00", 6);  // values 1, 0x202 = 514, 3 + pad
  write_file(dir / "p.dat", bytes);
  std::int32_t v[3];
  decode_format212(reinterpret_cast<const std::uint8_t*>(bytes.data()), 3, v);
  ASSERT_EQ(v[1], 514);
  const long long sum = (long long)v[0] + v[1] + v[2];
  write_file(dir / "p.hea", "p 1 100 3\np.dat 212 100 12 0 " + std::to_string(v[0]) + " " +
                                std::to_string(sum) + " 0 I\n");
  const EcgRecord r = read_wfdb_record(dir / "p.hea");
  EXPECT_EQ(r.n_samples, 3);
  write_file(dir / "p.dat", bytes + std::string("\0", 1));
  EXPECT_THROW(read_wfdb_record(dir / "p.hea"), FormatError);
}

TEST(WfdbFormats, MutatedHeadersFailCleanly) {
  // 150 corruptions of a real header (byte replaced by a random printable or control char,
  // or the text truncated). Either the record reads or a cgdmer::Error names the file.
  const std::string original =
      cgdmer::testing::read_file(cgdmer::testing::shared_data("ptb-xl/records100/00000/00001_lr.hea"));
  TempDir dir;
  std::filesystem::copy_file(cgdmer::testing::shared_data("ptb-xl/records100/00000/00001_lr.dat"),
                             dir / "00001_lr.dat");
  std::mt19937 rng(42);
  int ok = 0, errors = 0;
  for (int i = 0; i < 150; ++i) {
    std::string h = original;
    const std::size_t pos = rng() % h.size();
    if (i % 5 == 0)
      h.resize(pos);
    else
      h[pos] = "0123456789 .+-x()/:#\n\tAz\x01\xff"[rng() % 26];
    write_file(dir / "00001_lr.hea", h);
    try {
      read_wfdb_record(dir / "00001_lr.hea");
      ++ok;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(dir.str()), std::string::npos) << e.what();
      ++errors;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "non-cgdmer exception on mutation " << i << ": " << e.what();
    }
  }
  EXPECT_GT(errors, 40);  // most corruptions hit a checked field
  EXPECT_EQ(ok + errors, 150);
}

}  // namespace
}  // namespace cgdmer
