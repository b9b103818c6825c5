// Implements gpu.h. The CUDA calls are compiled only where CMake found a CUDA LibTorch
// (CGDMER_WITH_CUDA); the TF32 switches are ATen's and exist on every build.
#include "model/gpu.h"

#include <cstdio>

#include <ATen/Context.h>

#ifdef CGDMER_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#endif

namespace cgdmer {

#ifdef CGDMER_WITH_CUDA
namespace {
c10::DeviceIndex index_of(const c10::Device& d) {
  return d.has_index() ? d.index() : c10::DeviceIndex(c10::cuda::current_device());
}
// A CUDA build on a machine without a GPU (or without that many): device_count() is 0 there.
bool present(const c10::Device& d) {
  return d.is_cuda() && c10::cuda::device_count() > (d.has_index() ? d.index() : 0);
}
}  // namespace
#endif

bool cuda_device_has_bf16(const c10::Device& device) {
#ifdef CGDMER_WITH_CUDA
  if (!present(device)) return false;
  return at::cuda::getDeviceProperties(index_of(device))->major >= 8;
#else
  (void)device;
  return false;
#endif
}

std::string cuda_device_description(const c10::Device& device) {
#ifdef CGDMER_WITH_CUDA
  if (!present(device)) return "";
  const auto* p = at::cuda::getDeviceProperties(index_of(device));
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s (sm_%d%d, %.1f GiB)", p->name, p->major, p->minor,
                double(p->totalGlobalMem) / double(1ull << 30));
  return buf;
#else
  (void)device;
  return "";
#endif
}

void set_tf32(bool on) {
  at::globalContext().setAllowTF32CuBLAS(on);
  at::globalContext().setAllowTF32CuDNN(on);
}

bool tf32_enabled() {
  return at::globalContext().allowTF32CuBLAS() && at::globalContext().allowTF32CuDNN();
}

std::int64_t cuda_peak_allocated_bytes(const c10::Device& device) {
#ifdef CGDMER_WITH_CUDA
  if (!present(device)) return 0;
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(index_of(device));
  return stats.allocated_bytes[0].peak;  // [0]: StatType::AGGREGATE
#else
  (void)device;
  return 0;
#endif
}

void reset_cuda_peak(const c10::Device& device) {
#ifdef CGDMER_WITH_CUDA
  if (present(device)) c10::cuda::CUDACachingAllocator::resetPeakStats(index_of(device));
#else
  (void)device;
#endif
}

}  // namespace cgdmer
