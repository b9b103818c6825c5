// LibTorch 1.13 (Debian, CPU) vs 2.x (CUDA builds) differences, in one place:
//  - attention: fused at::scaled_dot_product_attention on 2.x, matmul–softmax–matmul on 1.13;
//  - autocast: 1.13's C++ API has no RAII guard and a CPU-specific switch; 2.4+ takes the
//    device type and deprecates the per-device calls;
//  - optimizer state: 1.x keys Optimizer::state() by the TensorImpl address as a string, 2.x by
//    the pointer;
//  - torch's fused AdamW kernel (2.x on CUDA, 2.4+ on the CPU);
//  - TF32 for fp32 matmuls/convolutions on NVIDIA GPUs.
// Include only from .cpp files of the LibTorch libraries (it pulls in ATen).
#pragma once

#include <sstream>
#include <string>
#include <type_traits>

#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

#define CGDMER_TORCH_2 (TORCH_VERSION_MAJOR >= 2)
// torch's multi-tensor at::_fused_adamw_: CUDA since 2.0, CPU since 2.4.
#define CGDMER_TORCH_FUSED_ADAMW_CPU \
  (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4))
// 2.4 made autocast per device type (is_autocast_enabled(kCUDA)) and deprecated the rest.
#define CGDMER_AUTOCAST_BY_DEVICE \
  (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4))

namespace cgdmer {

// The key torch's optimizers file a parameter's state under, whatever the LibTorch version.
using OptimizerStateKey = typename std::decay_t<
    decltype(std::declval<torch::optim::Optimizer&>().state())>::key_type;

// (A template so that only the branch of this version's key type is compiled.)
template <class Key = OptimizerStateKey>
Key optimizer_state_key(const torch::Tensor& p) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream s;  // c10::guts::to_string(TensorImpl*) of 1.x: an ostream of the pointer
    s << p.unsafeGetTensorImpl();
    return s.str();
  } else {
    return static_cast<Key>(p.unsafeGetTensorImpl());
  }
}

// Plain attention, the reference path (always compiled, used in tests against the fused one).
//   q: (B, H, Tq, Dh)  k, v: (B, H, Tk, Dh)
//   mask: undefined, or bool broadcastable to (B, H, Tq, Tk), true = may attend
//   returns (B, H, Tq, Dh)
inline torch::Tensor attention_reference(const torch::Tensor& q, const torch::Tensor& k,
                                         const torch::Tensor& v, const torch::Tensor& mask,
                                         bool causal, double dropout_p, bool training) {
  const double scale = 1.0 / std::sqrt(double(q.size(-1)));
  // Scale q (B·H·Tq·Dh values) rather than the scores (B·H·Tq·Tk): one pass less over the
  // largest tensor of the layer (bench/README.md).
  auto scores = torch::matmul(q * scale, k.transpose(-2, -1));  // (B, H, Tq, Tk)
  if (causal) {
    auto tq = q.size(-2), tk = k.size(-2);
    auto allowed = torch::ones({tq, tk}, q.options().dtype(torch::kBool)).tril(tk - tq);
    scores = scores.masked_fill(allowed.logical_not(), -std::numeric_limits<float>::infinity());
  }
  if (mask.defined())
    scores = scores.masked_fill(mask.logical_not(), -std::numeric_limits<float>::infinity());
  auto probs = torch::softmax(scores, -1);
  if (dropout_p > 0 && training) probs = torch::dropout(probs, dropout_p, true);
  return torch::matmul(probs, v);
}

// Fast path where the LibTorch version has it, reference path otherwise.
inline torch::Tensor scaled_dot_product_attention(const torch::Tensor& q, const torch::Tensor& k,
                                                  const torch::Tensor& v,
                                                  const torch::Tensor& mask, bool causal,
                                                  double dropout_p, bool training) {
#if CGDMER_TORCH_2
  torch::Tensor m = mask;
  if (causal && mask.defined()) {
    auto tq = q.size(-2), tk = k.size(-2);
    m = mask.logical_and(torch::ones({tq, tk}, q.options().dtype(torch::kBool)).tril(tk - tq));
    causal = false;
  }
  return at::scaled_dot_product_attention(q, k, v, m.defined() ? c10::optional<at::Tensor>(m)
                                                               : c10::nullopt,
                                          training ? dropout_p : 0.0, causal);
#else
  return attention_reference(q, k, v, mask, causal, dropout_p, training);
#endif
}

// Autocast state of one device type (kCPU or kCUDA), on every LibTorch version.
inline bool autocast_enabled(c10::DeviceType d) {
#if CGDMER_AUTOCAST_BY_DEVICE
  return at::autocast::is_autocast_enabled(d);
#else
  return d == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

inline void set_autocast_enabled(c10::DeviceType d, bool on) {
#if CGDMER_AUTOCAST_BY_DEVICE
  at::autocast::set_autocast_enabled(d, on);
#else
  if (d == c10::DeviceType::CUDA) at::autocast::set_enabled(on);
  else at::autocast::set_cpu_enabled(on);
#endif
}

inline void set_autocast_dtype(c10::DeviceType d, torch::ScalarType t) {
#if CGDMER_AUTOCAST_BY_DEVICE
  at::autocast::set_autocast_dtype(d, t);
#else
  if (d == c10::DeviceType::CUDA) {
#if CGDMER_TORCH_2
    at::autocast::set_autocast_gpu_dtype(t);
#endif
  } else {
    at::autocast::set_autocast_cpu_dtype(t);
  }
#endif
}

// RAII bf16/fp16 autocast on CPU or CUDA; a no-op when `enabled` is false.
class AutocastGuard {
 public:
  AutocastGuard(bool enabled, torch::Device device, torch::ScalarType dtype = torch::kBFloat16)
      : enabled_(enabled), type_(device.type()) {
    if (!enabled_) return;
    prev_ = autocast_enabled(type_);
    set_autocast_enabled(type_, true);
    set_autocast_dtype(type_, dtype);
    at::autocast::increment_nesting();
  }
  ~AutocastGuard() {
    if (!enabled_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    set_autocast_enabled(type_, prev_);
  }
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool enabled_;
  c10::DeviceType type_;
  bool prev_ = false;
};

}  // namespace cgdmer
