// Malformed input: each case is built in a temp dir from a real record, and must give one
// FormatError / IoError whose message names the offending file and the problem.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.h"
#include "io/ecg_readers.h"
#include "io/wfdb_header.h"
#include "io_test_util.h"

namespace cgdmer {
namespace {

namespace fs = std::filesystem;
using cgdmer::testing::read_file;
using cgdmer::testing::TempDir;
using cgdmer::testing::write_file;

const std::string kPtbXl = "ptb-xl/records100/00000/00001_lr.hea";  // 12 × 1000, format 16
const std::string kChallenge = "physionet_challenge_2021/training/georgia/E07503.hea";

std::string replace_once(std::string s, const std::string& from, const std::string& to) {
  const auto p = s.find(from);
  EXPECT_NE(p, std::string::npos) << from;
  if (p != std::string::npos) s.replace(p, from.size(), to);
  return s;
}

// Runs `f`, expects exception E whose message contains `path` and every string in `parts`.
template <class E, class F>
void expect_error(F f, const std::string& path, std::vector<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one naming " << path;
  } catch (const E& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << "path " << path << " not in: " << msg;
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' in: " << msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

TEST(BadInput, TruncatedDat) {
  TempDir dir;
  const std::string hea = cgdmer::testing::copy_record(cgdmer::testing::shared_data(kPtbXl), ".dat", dir);
  const std::string dat = dir / "00001_lr.dat";
  fs::resize_file(dat, 24000 - 100);
  expect_error<FormatError>([&] { read_wfdb_record(hea); }, dat,
                            {"truncated", "implies 24000 bytes", "file has 23900"});
}

TEST(BadInput, HeaderSizeMismatch) {
  TempDir dir;
  const std::string hea = cgdmer::testing::copy_record(cgdmer::testing::shared_data(kPtbXl), ".dat", dir);
  const std::string dat = dir / "00001_lr.dat";
  // File longer than the header's 1000 samples.
  write_file(dat, read_file(dat) + std::string(24, '\0'));
  expect_error<FormatError>([&] { read_wfdb_record(hea); }, dat,
                            {"does not match header", "implies 24000 bytes", "file has 24024"});
  // Header claiming more samples than the file holds.
  TempDir dir2;
  const std::string hea2 = cgdmer::testing::copy_record(cgdmer::testing::shared_data(kPtbXl), ".dat", dir2);
  write_file(hea2, replace_once(read_file(hea2), "12 100 1000", "12 100 1500"));
  expect_error<FormatError>([&] { read_wfdb_record(hea2); }, dir2 / "00001_lr.dat",
                            {"truncated", "implies 36000 bytes", "file has 24000"});
}

TEST(BadInput, WrongChecksumInHeaderOrData) {
  TempDir dir;
  const std::string hea = cgdmer::testing::copy_record(cgdmer::testing::shared_data(kPtbXl), ".dat", dir);
  const std::string original = read_file(hea);
  write_file(hea, replace_once(original, "-119 1508 0 I", "-119 1509 0 I"));
  expect_error<FormatError>([&] { read_wfdb_record(hea); }, dir / "00001_lr.dat",
                            {"checksum mismatch on lead I: header 1509, data 1508"});
  // Header intact, one data byte changed: sample 0 of lead II (bytes 2-3) goes up by 1.
  write_file(hea, original);
  std::string bytes = read_file(dir / "00001_lr.dat");
  bytes[2] = char(bytes[2] + 1);
  write_file(dir / "00001_lr.dat", bytes);
  expect_error<FormatError>([&] { read_wfdb_record(hea); }, dir / "00001_lr.dat",
                            {"checksum mismatch on lead II: header 723, data 724"});
}

TEST(BadInput, MissingSignalFileAndMissingHeader) {
  TempDir dir;
  const std::string hea = cgdmer::testing::copy_record(cgdmer::testing::shared_data(kPtbXl), ".dat", dir);
  fs::remove(dir / "00001_lr.dat");
  expect_error<IoError>([&] { read_wfdb_record(hea); }, dir / "00001_lr.dat",
                        {"signal file missing", hea});
  expect_error<IoError>([&] { read_wfdb_record(dir / "nope.hea"); }, dir / "nope.hea",
                        {"cannot open header"});
  expect_error<IoError>([&] { read_any_record(dir / "nothing_here"); }, dir / "nothing_here",
                        {"no such record"});
}

TEST(BadInput, UnparseableHeader) {
  TempDir dir;
  const std::string hea = cgdmer::testing::copy_record(cgdmer::testing::shared_data(kPtbXl), ".dat", dir);
  const std::string original = read_file(hea);
  write_file(hea, replace_once(original, "16 1000.0(0)/mV 16 0 -55", "16 abc/mV 16 0 -55"));
  expect_error<FormatError>([&] { read_wfdb_record(hea); }, hea,
                            {"unparseable header, line 3", "bad gain 'abc'"});
  write_file(hea, replace_once(original, "00001_lr 12 100 1000", "00001_lr twelve 100 1000"));
  expect_error<FormatError>([&] { read_wfdb_record(hea); }, hea, {"bad signal count 'twelve'"});
  // Fewer signal lines than announced.
  write_file(hea, replace_once(original, "00001_lr 12 100 1000", "00001_lr 13 100 1000"));
  expect_error<FormatError>([&] { read_wfdb_record(hea); }, hea,
                            {"announces 13 signals, found 12"});
  write_file(hea, replace_once(original, "00001_lr.dat 16 1000.0(0)/mV 16 0 -119",
                               "00001_lr.dat 80 1000.0(0)/mV 16 0 -119"));
  expect_error<FormatError>([&] { read_wfdb_record(hea); }, hea, {"unsupported WFDB format 80"});
  write_file(hea, replace_once(original, "00001_lr.dat 16 1000.0(0)/mV 16 0 -119",
                               "00001_lr.dat 16x2 1000.0(0)/mV 16 0 -119"));
  expect_error<FormatError>([&] { read_wfdb_record(hea); }, hea, {"2 samples per frame"});
}

TEST(BadInput, GarbageBytes) {
  TempDir dir;
  std::string junk;
  std::mt19937 rng(7);
  for (int i = 0; i < 4096; ++i) junk.push_back(char(rng()));
  write_file(dir / "junk.hea", junk);
  expect_error<FormatError>([&] { read_wfdb_record(dir / "junk.hea"); }, dir / "junk.hea",
                            {"unparseable header"});
  write_file(dir / "junk2.mat", junk);  // no .hea beside it → CPSC MAT v5 reader
  expect_error<FormatError>([&] { read_any_record(dir / "junk2.mat"); }, dir / "junk2.mat",
                            {"MAT-file"});
  // A real CPSC file with its compressed body overwritten.
  std::string cpsc = read_file(cgdmer::testing::shared_data("cpsc2018/A1980.mat"));
  for (std::size_t i = 200; i < cpsc.size(); ++i) cpsc[i] = char(rng());
  write_file(dir / "A1980.mat", cpsc);
  expect_error<FormatError>([&] { read_cpsc_mat(dir / "A1980.mat"); }, dir / "A1980.mat", {});
  // Challenge .mat replaced by garbage of the right size: caught by the MAT v4 header check.
  TempDir dir2;
  const std::string hea = cgdmer::testing::copy_record(cgdmer::testing::shared_data(kChallenge), ".mat", dir2);
  std::string m = read_file(dir2 / "E07503.mat");
  for (std::size_t i = 0; i < 24; ++i) m[i] = char(rng());
  write_file(dir2 / "E07503.mat", m);
  expect_error<FormatError>([&] { read_wfdb_record(hea); }, dir2 / "E07503.mat", {"MAT v4 header"});
}

TEST(BadInput, ZeroLeads) {
  TempDir dir;
  write_file(dir / "empty.hea", "empty 0 500 5000\n# no signals\n");
  expect_error<FormatError>([&] { read_wfdb_record(dir / "empty.hea"); }, dir / "empty.hea",
                            {"zero signals"});
}

TEST(BadInput, MatV4WrongDims) {
  TempDir dir;
  const std::string hea = cgdmer::testing::copy_record(cgdmer::testing::shared_data(kChallenge), ".mat", dir);
  const std::string mat = dir / "E07503.mat";
  std::string m = read_file(mat);
  // MAT v4 header bytes 4-7: mrows (little-endian int32) 12 → 6, bytes 8-11: ncols 5000 → 10000.
  m[4] = 6;
  m[8] = char(10000 & 0xFF);
  m[9] = char(10000 >> 8);
  write_file(mat, m);
  expect_error<FormatError>([&] { read_wfdb_record(hea); }, mat,
                            {"MAT v4 header: matrix is 6 x 10000, .hea expects 12 leads x 5000 samples"});
  m[0] = 20;  // type 20 = int32, not the int16 the .hea's format 16 says
  write_file(mat, m);
  expect_error<FormatError>([&] { read_wfdb_record(hea); }, mat, {"MAT v4 header: type 20"});
}

TEST(WfdbHeader, FieldsAndDefaults) {
  const WfdbHeader h = parse_wfdb_header(
      "rec/1 3 360/720(5) 650000 10:00:00 01/01/2000\n"
      "a.dat 212 200(3)/uV 11 1024 995 -22131 0 MLII\n"
      "a.dat 212 0 11 1024 1011 20052 0 V5 lead\n"
      "b.dat 16x1:0+512\n"
      "#Dx: 1,2\n",
      "x.hea");
  EXPECT_EQ(h.record_name, "rec");
  EXPECT_EQ(h.fs, 360);
  EXPECT_EQ(h.counter_freq, 720);
  EXPECT_EQ(h.base_counter, 5);
  EXPECT_EQ(h.n_samples, 650000);
  EXPECT_EQ(h.base_time, "10:00:00 01/01/2000");
  ASSERT_EQ(h.signals.size(), 3u);
  EXPECT_EQ(h.signals[0].gain, 200);
  EXPECT_EQ(h.signals[0].baseline, 3);
  EXPECT_EQ(h.signals[0].units, "uV");
  EXPECT_EQ(h.signals[0].adc_resolution, 11);
  EXPECT_EQ(h.signals[0].adc_zero, 1024);
  EXPECT_EQ(*h.signals[0].checksum, -22131);
  EXPECT_EQ(h.signals[0].description, "MLII");
  EXPECT_EQ(h.signals[1].gain, 200);       // gain 0 → WFDB default 200
  EXPECT_EQ(h.signals[1].baseline, 1024);  // no (baseline) → ADC zero
  EXPECT_EQ(h.signals[1].units, "mV");
  EXPECT_EQ(h.signals[1].description, "V5 lead");
  EXPECT_EQ(h.signals[2].format, 16);
  EXPECT_EQ(h.signals[2].byte_offset, 512);
  EXPECT_EQ(h.signals[2].gain, 200);
  EXPECT_FALSE(h.signals[2].checksum.has_value());
  EXPECT_EQ(h.signals[2].adc_resolution, 16);
  ASSERT_EQ(h.comments.size(), 1u);
  EXPECT_EQ(h.comments[0], "Dx: 1,2");
  EXPECT_THROW(parse_wfdb_header("rec/2 1 360\nseg1 100\n", "m.hea"), FormatError);
}

}  // namespace
}  // namespace cgdmer
