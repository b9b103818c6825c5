// safetensors reader/writer (see safetensors.h): the whole file is read into memory, the
// JSON header is parsed with nlohmann-json, and every tensor entry is checked (dtype name,
// shape, byte size, offsets inside the data region, contiguous non-overlapping coverage as
// Hugging Face's `safetensors` requires) before any view is handed out.
// Byte order: the format is little-endian and so are all hosts we build for (x86-64, arm64).
#include "io/safetensors.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"

namespace cgdmer {
namespace {

constexpr std::uint64_t kMaxHeaderBytes = 100ull * 1024 * 1024;  // same cap as HF's reader

struct DTypeInfo {
  StDType type;
  const char* name;
  std::size_t size;
};
constexpr DTypeInfo kDTypes[] = {
    {StDType::F64, "F64", 8}, {StDType::F32, "F32", 4}, {StDType::F16, "F16", 2},
    {StDType::BF16, "BF16", 2}, {StDType::I64, "I64", 8}, {StDType::I32, "I32", 4},
    {StDType::I16, "I16", 2}, {StDType::I8, "I8", 1},   {StDType::U8, "U8", 1},
    {StDType::BOOL, "BOOL", 1},
};

const DTypeInfo& info(StDType t) {
  for (const auto& d : kDTypes)
    if (d.type == t) return d;
  throw std::logic_error("unknown StDType");
}

bool parse_dtype(const std::string& s, StDType* out) {
  for (const auto& d : kDTypes)
    if (s == d.name) {
      *out = d.type;
      return true;
    }
  return false;
}

// numel * element size, or false on overflow / negative dims.
bool byte_size(const std::vector<std::int64_t>& shape, std::size_t elem, std::uint64_t* out) {
  std::uint64_t n = elem;
  for (auto d : shape) {
    if (d < 0) return false;
    if (d != 0 && n > std::numeric_limits<std::uint64_t>::max() / std::uint64_t(d)) return false;
    n *= std::uint64_t(d);
  }
  *out = n;
  return true;
}

std::string shape_str(const std::vector<std::int64_t>& s) {
  std::string r = "[";
  for (std::size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

std::shared_ptr<std::vector<std::uint8_t>> read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) throw IoError(path, std::string("cannot open: ") + std::strerror(errno));
  const std::streamoff size = f.tellg();
  if (size < 0) throw IoError(path, "cannot determine file size");
  auto bytes = std::make_shared<std::vector<std::uint8_t>>(std::size_t(size));
  f.seekg(0);
  if (size > 0 && !f.read(reinterpret_cast<char*>(bytes->data()), size))
    throw IoError(path, "read failed");
  return bytes;
}

}  // namespace

std::size_t st_dtype_size(StDType t) { return info(t).size; }
const char* st_dtype_name(StDType t) { return info(t).name; }

SafetensorsFile SafetensorsFile::open(const std::string& path) {
  SafetensorsFile f;
  f.path_ = path;
  f.bytes_ = read_all(path);
  const auto& b = *f.bytes_;
  const std::uint64_t file_size = b.size();
  if (file_size < 8)
    throw FormatError(path, "not a safetensors file: " + std::to_string(file_size) +
                                " bytes, shorter than the 8-byte header length");
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | b[std::size_t(i)];
  if (n > kMaxHeaderBytes)
    throw FormatError(path, "safetensors header length " + std::to_string(n) +
                                " exceeds the 100 MB limit (corrupt or not a safetensors file)");
  if (n > file_size - 8)
    throw FormatError(path, "safetensors header length " + std::to_string(n) +
                                " is larger than the file (" + std::to_string(file_size) +
                                " bytes): file truncated or not a safetensors file");
  const std::uint64_t data_begin = 8 + n;
  const std::uint64_t data_size = file_size - data_begin;

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(b.begin() + 8, b.begin() + std::ptrdiff_t(data_begin));
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(path, std::string("safetensors header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) throw FormatError(path, "safetensors header is not a JSON object");

  // (begin, end, name) for the coverage check.
  std::vector<std::tuple<std::uint64_t, std::uint64_t, std::string>> spans;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const auto& e = it.value();
    if (name == "__metadata__") {
      if (!e.is_object()) throw FormatError(path, "__metadata__ is not a JSON object");
      for (auto m = e.begin(); m != e.end(); ++m) {
        if (!m.value().is_string())
          throw FormatError(path, "__metadata__ value for '" + m.key() + "' is not a string");
        f.metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor '" + name + "': ";
    if (!e.is_object()) throw FormatError(path, where + "entry is not a JSON object");
    if (!e.contains("dtype") || !e["dtype"].is_string())
      throw FormatError(path, where + "missing or non-string 'dtype'");
    StTensorView v;
    const auto dname = e["dtype"].get<std::string>();
    if (!parse_dtype(dname, &v.dtype))
      throw FormatError(path, where + "unsupported dtype '" + dname + "'",
                        "supported: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL");
    if (!e.contains("shape") || !e["shape"].is_array())
      throw FormatError(path, where + "missing or non-array 'shape'");
    for (const auto& d : e["shape"]) {
      if (!d.is_number_unsigned())
        throw FormatError(path, where + "shape entries must be non-negative integers");
      const auto u = d.get<std::uint64_t>();
      if (u > std::uint64_t(std::numeric_limits<std::int64_t>::max()))
        throw FormatError(path, where + "shape entry too large");
      v.shape.push_back(std::int64_t(u));
    }
    if (!e.contains("data_offsets") || !e["data_offsets"].is_array() ||
        e["data_offsets"].size() != 2 || !e["data_offsets"][0].is_number_unsigned() ||
        !e["data_offsets"][1].is_number_unsigned())
      throw FormatError(path, where + "'data_offsets' must be two non-negative integers");
    const auto begin = e["data_offsets"][0].get<std::uint64_t>();
    const auto end = e["data_offsets"][1].get<std::uint64_t>();
    if (begin > end)
      throw FormatError(path, where + "data_offsets begin " + std::to_string(begin) +
                                  " > end " + std::to_string(end));
    if (end > data_size)
      throw FormatError(path, where + "data_offsets end " + std::to_string(end) +
                                  " is past the data region (" + std::to_string(data_size) +
                                  " bytes): file truncated?");
    std::uint64_t expect = 0;
    if (!byte_size(v.shape, st_dtype_size(v.dtype), &expect))
      throw FormatError(path, where + "shape " + shape_str(v.shape) + " overflows");
    if (expect != end - begin)
      throw FormatError(path, where + "shape " + shape_str(v.shape) + " x " + dname + " needs " +
                                  std::to_string(expect) + " bytes but data_offsets span " +
                                  std::to_string(end - begin));
    v.data = b.data() + data_begin + begin;
    v.nbytes = std::size_t(end - begin);
    spans.emplace_back(begin, end, name);
    f.tensors_.emplace(name, std::move(v));
  }

  // Hugging Face requires the tensors to tile the data region exactly: no overlap, no gap,
  // no trailing bytes. A violation means a corrupt or hand-edited file.
  std::sort(spans.begin(), spans.end());
  std::uint64_t pos = 0;
  for (const auto& [begin, end, name] : spans) {
    if (begin < pos)
      throw FormatError(path, "tensor '" + name + "': data_offsets [" + std::to_string(begin) +
                                  ", " + std::to_string(end) + ") overlap the previous tensor");
    if (begin > pos)
      throw FormatError(path, "tensor '" + name + "': gap of " + std::to_string(begin - pos) +
                                  " bytes before its data (tensors must be contiguous)");
    pos = end;
  }
  if (pos != data_size)
    throw FormatError(path, std::to_string(data_size - pos) +
                                " trailing bytes after the last tensor (data region " +
                                std::to_string(data_size) + " bytes, tensors cover " +
                                std::to_string(pos) + ")");
  return f;
}

const StTensorView& SafetensorsFile::at(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw FormatError(path_, "no tensor named '" + name + "'");
  return it->second;
}

void write_safetensors(const std::string& path, const std::map<std::string, StTensorData>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    if (name == "__metadata__") throw FormatError(path, "a tensor may not be named __metadata__");
    std::uint64_t expect = 0;
    if (!byte_size(t.shape, st_dtype_size(t.dtype), &expect) || expect != t.bytes.size())
      throw FormatError(path, "tensor '" + name + "': shape " + shape_str(t.shape) + " x " +
                                  st_dtype_name(t.dtype) + " does not match its " +
                                  std::to_string(t.bytes.size()) + " bytes");
    header[name] = {{"dtype", st_dtype_name(t.dtype)},
                    {"shape", t.shape},
                    {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');  // pad so the data starts 8-byte aligned (as HF does)
  std::uint8_t len[8];
  std::uint64_t n = h.size();
  for (int i = 0; i < 8; ++i) len[i] = std::uint8_t(n >> (8 * i));

  AtomicFile out(path);
  out.write(len, 8);
  out.write(h);
  for (const auto& kv : tensors) out.write(kv.second.bytes.data(), kv.second.bytes.size());
  out.commit();
}

}  // namespace cgdmer
