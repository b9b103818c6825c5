// Implements weights.h: safetensors ↔ torch tensors and name-based module loading.
#include "model/weights.h"

#include <algorithm>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "core/error.h"

namespace cgdmer {
namespace {

std::string shape_str(c10::IntArrayRef s) {
  std::ostringstream o;
  o << "[";
  for (std::size_t i = 0; i < s.size(); ++i) o << (i ? ", " : "") << s[i];
  o << "]";
  return o.str();
}

// "a, b, c" with at most `max` names, then "... (N more)".
std::string list(const std::vector<std::string>& v, std::size_t max = 12) {
  std::string r;
  for (std::size_t i = 0; i < v.size() && i < max; ++i) r += (i ? ", " : "") + v[i];
  if (v.size() > max) r += ", ... (" + std::to_string(v.size() - max) + " more)";
  return r;
}

}  // namespace

torch::ScalarType st_to_torch_dtype(StDType t) {
  switch (t) {
    case StDType::F64: return torch::kFloat64;
    case StDType::F32: return torch::kFloat32;
    case StDType::F16: return torch::kFloat16;
    case StDType::BF16: return torch::kBFloat16;
    case StDType::I64: return torch::kInt64;
    case StDType::I32: return torch::kInt32;
    case StDType::I16: return torch::kInt16;
    case StDType::I8: return torch::kInt8;
    case StDType::U8: return torch::kUInt8;
    case StDType::BOOL: return torch::kBool;
  }
  throw std::invalid_argument("unknown StDType");
}

StDType torch_to_st_dtype(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat64: return StDType::F64;
    case torch::kFloat32: return StDType::F32;
    case torch::kFloat16: return StDType::F16;
    case torch::kBFloat16: return StDType::BF16;
    case torch::kInt64: return StDType::I64;
    case torch::kInt32: return StDType::I32;
    case torch::kInt16: return StDType::I16;
    case torch::kInt8: return StDType::I8;
    case torch::kUInt8: return StDType::U8;
    case torch::kBool: return StDType::BOOL;
    default:
      throw std::invalid_argument(std::string("safetensors cannot store dtype ") +
                                  c10::toString(t));
  }
}

torch::Tensor st_view_to_tensor(const StTensorView& v) {
  auto t = torch::empty(v.shape, torch::TensorOptions().dtype(st_to_torch_dtype(v.dtype)));
  if (v.nbytes) std::memcpy(t.data_ptr(), v.data, v.nbytes);  // views may be unaligned
  return t;
}

StTensorData tensor_to_st(const torch::Tensor& t) {
  auto c = t.detach().to(torch::kCPU).contiguous();
  StTensorData d{torch_to_st_dtype(c.scalar_type()), c.sizes().vec(), {}};
  d.bytes.resize(c.numel() * c.element_size());
  if (!d.bytes.empty()) std::memcpy(d.bytes.data(), c.data_ptr(), d.bytes.size());
  return d;
}

std::map<std::string, torch::Tensor> load_safetensors(const std::string& path) {
  auto f = SafetensorsFile::open(path);
  std::map<std::string, torch::Tensor> out;
  for (const auto& [name, v] : f.tensors()) out.emplace(name, st_view_to_tensor(v));
  return out;
}

void save_safetensors(const std::string& path, const std::map<std::string, torch::Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::map<std::string, StTensorData> data;
  for (const auto& [name, t] : tensors) {
    try {
      data.emplace(name, tensor_to_st(t));
    } catch (const std::invalid_argument& e) {
      throw FormatError(path, "tensor '" + name + "': " + e.what());
    }
  }
  auto md = metadata;
  md.emplace("format", "pt");  // what HF's safetensors.torch writes; lets Python load it
  write_safetensors(path, data, md);
}

std::map<std::string, torch::Tensor> module_state(const torch::nn::Module& m,
                                                  const std::string& prefix) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : m.named_parameters(true)) out[prefix + p.key()] = p.value();
  for (const auto& b : m.named_buffers(true)) out[prefix + b.key()] = b.value();
  return out;
}

void save_module(const torch::nn::Module& m, const std::string& path, const std::string& prefix,
                 const std::map<std::string, std::string>& metadata) {
  save_safetensors(path, module_state(m, prefix), metadata);
}

LoadStateReport load_state(torch::nn::Module& m, const std::map<std::string, torch::Tensor>& tensors,
                           const std::string& source, const LoadStateOptions& opt) {
  auto targets = module_state(m);
  LoadStateReport rep;
  std::vector<std::string> bad;  // mis-shaped / wrong dtype, with details
  std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;
  for (const auto& [key, dst] : targets) {
    auto it = tensors.find(opt.prefix + key);
    if (it == tensors.end()) {
      rep.missing.push_back(opt.prefix + key);
      continue;
    }
    const auto& src = it->second;
    if (src.sizes() != dst.sizes()) {
      bad.push_back(it->first + " (file " + shape_str(src.sizes()) + ", model " +
                    shape_str(dst.sizes()) + ")");
      continue;
    }
    const bool same = src.scalar_type() == dst.scalar_type();
    const bool both_float = src.is_floating_point() && dst.is_floating_point();
    if (!same && !(both_float && opt.convert_float)) {
      bad.push_back(it->first + " (file dtype " + std::string(c10::toString(src.scalar_type())) +
                    ", model " + c10::toString(dst.scalar_type()) + ")");
      continue;
    }
    copies.emplace_back(dst, src);
    rep.loaded.push_back(key);
  }
  for (const auto& [name, t] : tensors) {
    if (name.compare(0, opt.prefix.size(), opt.prefix) != 0) continue;
    const auto key = name.substr(opt.prefix.size());
    if (targets.count(key)) continue;
    if (std::find(opt.ignore.begin(), opt.ignore.end(), key) != opt.ignore.end()) continue;
    rep.unexpected.push_back(name);
  }

  std::string problems;
  if (!bad.empty()) problems += "mis-shaped or wrong-dtype tensors: " + list(bad) + ". ";
  if (!rep.missing.empty() && !opt.allow_missing)
    problems += "missing tensors: " + list(rep.missing) + ". ";
  if (!rep.unexpected.empty() && !opt.allow_unexpected)
    problems += "unexpected tensors: " + list(rep.unexpected) + ". ";
  if (!problems.empty()) {
    problems.pop_back();
    throw FormatError(source, "does not match the model: " + problems,
                      opt.prefix.empty() ? "" : "keys were looked up under prefix '" + opt.prefix + "'");
  }
  // Copy only after every check passed, so a refused file leaves the model untouched.
  torch::NoGradGuard ng;
  for (auto& [dst, src] : copies) dst.copy_(src.to(dst.device(), dst.scalar_type()));
  return rep;
}

LoadStateReport load_module(torch::nn::Module& m, const std::string& path,
                            const LoadStateOptions& opt) {
  return load_state(m, load_safetensors(path), path, opt);
}

}  // namespace cgdmer
