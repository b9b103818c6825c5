// safetensors reader/writer (torch-free): 8-byte little-endian header length N, N bytes of
// JSON {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
// "__metadata__": {str: str}}, then the raw little-endian tensor bytes. Used to import
// Hugging Face weights and to export cgdmer models. The reader validates every offset,
// dtype and shape against the file size before handing out a view.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cgdmer {

enum class StDType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };
std::size_t st_dtype_size(StDType t);
const char* st_dtype_name(StDType t);

struct StTensorView {
  StDType dtype;
  std::vector<std::int64_t> shape;
  const std::uint8_t* data = nullptr;  // valid while the SafetensorsFile lives
  std::size_t nbytes = 0;
};

class SafetensorsFile {
 public:
  static SafetensorsFile open(const std::string& path);  // throws FormatError / IoError
  const std::map<std::string, StTensorView>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const StTensorView& at(const std::string& name) const;  // FormatError if absent
  bool contains(const std::string& name) const { return tensors_.count(name) != 0; }

 private:
  std::shared_ptr<std::vector<std::uint8_t>> bytes_;
  std::map<std::string, StTensorView> tensors_;
  std::map<std::string, std::string> metadata_;
  std::string path_;
};

struct StTensorData {
  StDType dtype;
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> bytes;
};

// Writes atomically (temporary name + rename). Tensors are laid out in name order.
void write_safetensors(const std::string& path, const std::map<std::string, StTensorData>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace cgdmer
