// Torch adapter for safetensors files (io/safetensors.h): file ↔ named torch tensors, and
// module state (named parameters + buffers) ↔ file. Loading into a module is by name and
// strict by default: one FormatError lists every missing, unexpected and mis-shaped key.
// Used for Hugging Face imports, fixtures in tests, and cgdmer's own exports.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "io/safetensors.h"

namespace cgdmer {

// dtype mapping (FormatError-free: throws std::invalid_argument for a torch dtype that
// safetensors cannot hold, e.g. complex).
torch::ScalarType st_to_torch_dtype(StDType t);
StDType torch_to_st_dtype(torch::ScalarType t);

// Copies a view into an owned CPU tensor of the same dtype and shape.
torch::Tensor st_view_to_tensor(const StTensorView& v);
// Contiguous CPU copy of `t`'s bytes (any device).
StTensorData tensor_to_st(const torch::Tensor& t);

// Every tensor of a .safetensors file as owned CPU tensors (throws FormatError / IoError).
std::map<std::string, torch::Tensor> load_safetensors(const std::string& path);
void save_safetensors(const std::string& path, const std::map<std::string, torch::Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// named_parameters + named_buffers (recursive), keys prefixed with `prefix`.
std::map<std::string, torch::Tensor> module_state(const torch::nn::Module& m,
                                                  const std::string& prefix = "");
void save_module(const torch::nn::Module& m, const std::string& path,
                 const std::string& prefix = "",
                 const std::map<std::string, std::string>& metadata = {});

struct LoadStateOptions {
  // Keys of the source are looked up as `prefix + module key` (e.g. "text_encoder.").
  std::string prefix;
  // Source keys under `prefix` that match no module entry are an error unless allowed.
  bool allow_unexpected = false;
  // Module entries with no source key are an error unless allowed (then left as they are).
  bool allow_missing = false;
  // Source keys (after prefix removal) that are silently skipped, e.g. HF's position_ids.
  std::vector<std::string> ignore;
  // Floating-point sources may be converted to the module's floating dtype (F16 → F32 ...).
  bool convert_float = true;
};

struct LoadStateReport {
  std::vector<std::string> loaded, missing, unexpected;  // module keys / source keys
};

// Copies `tensors` into `m`'s parameters and buffers by name, under NoGradGuard, keeping each
// parameter's device. `source` names the file in error messages. Mis-shaped or dtype-
// incompatible tensors are always errors; missing / unexpected ones per `opt`.
LoadStateReport load_state(torch::nn::Module& m, const std::map<std::string, torch::Tensor>& tensors,
                           const std::string& source, const LoadStateOptions& opt = {});
LoadStateReport load_module(torch::nn::Module& m, const std::string& path,
                            const LoadStateOptions& opt = {});

}  // namespace cgdmer
