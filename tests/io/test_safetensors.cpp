// Tests for the safetensors reader/writer: exact round trip (bytes, shapes, dtypes,
// metadata, header alignment) and clear FormatErrors for malformed files (truncated, bad
// header length, bad JSON, unknown dtype, shape/size mismatch, overlap, gap, trailing bytes).
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>

#include "core/error.h"
#include "io/safetensors.h"
#include "scratch_dir.h"

namespace fs = std::filesystem;
using namespace cgdmer;

namespace {

std::string tmp_path(const std::string& name) { return cgdmer::testing::scratch_path(name); }

// A file from a raw header string and raw data bytes (for malformed inputs).
void write_raw(const std::string& path, const std::string& header, const std::string& data,
               std::uint64_t len_override = ~0ull) {
  std::uint64_t n = len_override == ~0ull ? header.size() : len_override;
  std::ofstream f(path, std::ios::binary);
  for (int i = 0; i < 8; ++i) f.put(char((n >> (8 * i)) & 0xff));
  f << header << data;
}

StTensorData f32(std::vector<std::int64_t> shape, std::vector<float> v) {
  StTensorData t{StDType::F32, std::move(shape), {}};
  t.bytes.resize(v.size() * 4);
  std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
  return t;
}

// Expects a FormatError whose message contains the path and every fragment.
template <class F>
void expect_format_error(F&& f, const std::string& path, std::vector<std::string> fragments) {
  try {
    f();
    FAIL() << "no FormatError for " << path;
  } catch (const FormatError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    for (const auto& frag : fragments) EXPECT_NE(msg.find(frag), std::string::npos) << msg;
  }
}

}  // namespace

TEST(Safetensors, RoundTripIsExact) {
  std::map<std::string, StTensorData> in;
  in["b.weight"] = f32({2, 3}, {1.5f, -2.f, 3.25f, 0.f, -0.f, 1e-30f});
  in["a.bias"] = f32({3}, {7.f, 8.f, 9.f});
  in["scalar"] = f32({}, {42.f});
  in["empty"] = StTensorData{StDType::F16, {0, 4}, {}};
  StTensorData ids{StDType::I64, {2}, std::vector<std::uint8_t>(16)};
  std::int64_t iv[2] = {-1, 1ll << 40};
  std::memcpy(ids.bytes.data(), iv, 16);
  in["ids"] = ids;
  in["flags"] = StTensorData{StDType::BOOL, {3}, {1, 0, 1}};
  in["half"] = StTensorData{StDType::BF16, {1}, {0x80, 0x3f}};
  const auto path = tmp_path("rt.safetensors");
  write_safetensors(path, in, {{"format", "pt"}, {"note", "x"}});

  // Header length is a multiple of 8 so tensor data is aligned.
  std::ifstream raw(path, std::ios::binary);
  std::uint64_t n = 0;
  raw.read(reinterpret_cast<char*>(&n), 8);
  EXPECT_EQ(n % 8, 0u);

  auto f = SafetensorsFile::open(path);
  ASSERT_EQ(f.tensors().size(), in.size());
  for (const auto& [name, t] : in) {
    ASSERT_TRUE(f.contains(name)) << name;
    const auto& v = f.at(name);
    EXPECT_EQ(v.dtype, t.dtype) << name;
    EXPECT_EQ(v.shape, t.shape) << name;
    ASSERT_EQ(v.nbytes, t.bytes.size()) << name;
    EXPECT_TRUE(v.nbytes == 0 || std::memcmp(v.data, t.bytes.data(), v.nbytes) == 0) << name;
  }
  EXPECT_EQ(f.metadata().at("format"), "pt");
  EXPECT_EQ(f.metadata().at("note"), "x");
  expect_format_error([&] { f.at("nope"); }, path, {"nope"});
  // No temporary left behind by the atomic writer.
  for (const auto& e : fs::directory_iterator(fs::path(path).parent_path()))
    EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();
}

TEST(Safetensors, DTypeSizesAndNames) {
  EXPECT_EQ(st_dtype_size(StDType::F64), 8u);
  EXPECT_EQ(st_dtype_size(StDType::BF16), 2u);
  EXPECT_EQ(st_dtype_size(StDType::BOOL), 1u);
  EXPECT_STREQ(st_dtype_name(StDType::I32), "I32");
}

TEST(Safetensors, WriterRejectsInconsistentTensor) {
  const auto path = tmp_path("bad_write.safetensors");
  std::map<std::string, StTensorData> in;
  in["w"] = f32({2, 2}, {1, 2, 3});  // 3 values for a 2x2 shape
  expect_format_error([&] { write_safetensors(path, in); }, path, {"'w'", "[2, 2]"});
  EXPECT_FALSE(fs::exists(path));
}

TEST(Safetensors, MissingFileIsIoError) {
  EXPECT_THROW(SafetensorsFile::open(tmp_path("does_not_exist.safetensors")), IoError);
}

TEST(Safetensors, TruncatedFile) {
  const auto path = tmp_path("trunc.safetensors");
  std::map<std::string, StTensorData> in;
  in["layer.weight"] = f32({4}, {1, 2, 3, 4});
  write_safetensors(path, in);
  fs::resize_file(path, fs::file_size(path) - 3);
  expect_format_error([&] { SafetensorsFile::open(path); }, path, {"layer.weight", "truncated"});
  // Cut inside the header: the header length now exceeds the file.
  fs::resize_file(path, 20);
  expect_format_error([&] { SafetensorsFile::open(path); }, path, {"header length"});
  fs::resize_file(path, 5);
  expect_format_error([&] { SafetensorsFile::open(path); }, path, {"8-byte"});
}

TEST(Safetensors, BadHeaderLength) {
  const auto path = tmp_path("badlen.safetensors");
  const std::string h = R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  write_raw(path, h, std::string(4, '\0'), 1ull << 40);
  expect_format_error([&] { SafetensorsFile::open(path); }, path, {"100 MB"});
  write_raw(path, h, std::string(4, '\0'), h.size() + 100);
  expect_format_error([&] { SafetensorsFile::open(path); }, path, {"larger than the file"});
  write_raw(path, h, std::string(4, '\0'), h.size() - 2);  // cuts the JSON
  expect_format_error([&] { SafetensorsFile::open(path); }, path, {"not valid JSON"});
}

TEST(Safetensors, WrongDTypeString) {
  const auto path = tmp_path("dtype.safetensors");
  write_raw(path, R"({"enc.w":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}})",
            std::string(4, '\0'));
  expect_format_error([&] { SafetensorsFile::open(path); }, path, {"enc.w", "F33"});
}

TEST(Safetensors, ShapeSizeMismatch) {
  const auto path = tmp_path("shape.safetensors");
  write_raw(path, R"({"enc.w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}})",
            std::string(20, '\0'));
  expect_format_error([&] { SafetensorsFile::open(path); }, path, {"enc.w", "[2, 3]", "24"});
  write_raw(path, R"({"enc.w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})",
            std::string(4, '\0'));
  expect_format_error([&] { SafetensorsFile::open(path); }, path, {"enc.w", "non-negative"});
  write_raw(path, R"({"enc.w":{"dtype":"F32","data_offsets":[0,4]}})", std::string(4, '\0'));
  expect_format_error([&] { SafetensorsFile::open(path); }, path, {"enc.w", "shape"});
}

TEST(Safetensors, OffsetsMustTileTheDataRegion) {
  const auto path = tmp_path("tile.safetensors");
  write_raw(path,
            R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
            R"("b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})",
            std::string(6, '\0'));
  expect_format_error([&] { SafetensorsFile::open(path); }, path, {"'b'", "overlap"});
  write_raw(path,
            R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
            R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
            std::string(12, '\0'));
  expect_format_error([&] { SafetensorsFile::open(path); }, path, {"'b'", "gap"});
  write_raw(path, R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
            std::string(9, '\0'));
  expect_format_error([&] { SafetensorsFile::open(path); }, path, {"trailing"});
  write_raw(path, R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})",
            std::string(4, '\0'));
  expect_format_error([&] { SafetensorsFile::open(path); }, path, {"'a'", "begin"});
  write_raw(path, R"([1,2])", "");
  expect_format_error([&] { SafetensorsFile::open(path); }, path, {"not a JSON object"});
  write_raw(path, R"({"__metadata__":{"k":1}})", "");
  expect_format_error([&] { SafetensorsFile::open(path); }, path, {"__metadata__"});
}
