// What this process's CUDA devices can do, and the process-wide GPU math settings. The same
// API on every build: a build without CUDA (Debian's LibTorch 1.13) answers "no" / 0.
#pragma once

#include <cstdint>
#include <string>

#include <c10/core/Device.h>

namespace cgdmer {

// bf16 tensor-core math: compute capability 8.0 or later (Ampere, Hopper, ...). Volta and
// Turing emulate bf16 slowly, so `precision = "auto"` keeps fp32 there. false for non-CUDA
// devices and builds without CUDA.
bool cuda_device_has_bf16(const c10::Device& device);

// "NVIDIA H100 80GB HBM3 (sm_90, 79.2 GiB)"; "" without CUDA.
std::string cuda_device_description(const c10::Device& device);

// TF32 for fp32 matmuls (cuBLAS) and convolutions (cuDNN) on Ampere and later: ~10-bit
// mantissa products, fp32 accumulation. Config key train.tf32; off = full fp32 (torch's
// default for matmuls since 1.12). A no-op without CUDA, but the setting reads back.
void set_tf32(bool on);
bool tf32_enabled();

// Peak bytes held by torch's caching allocator on `device` since the last reset; 0 without
// CUDA.
std::int64_t cuda_peak_allocated_bytes(const c10::Device& device);
void reset_cuda_peak(const c10::Device& device);

}  // namespace cgdmer
