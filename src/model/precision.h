// The compute precision of a command, as a type: parsed once from the user's text (config
// key train.precision, --precision flags), resolved once against the device.
//   fp32       float32 everywhere
//   bf16       bf16 autocast for matrix products, float32 master weights and losses
//   automatic  ("auto") bf16 on GPUs of compute capability ≥ 8.0 (Ampere and later) and on
//              CPUs that run bf16 GEMM natively (AVX-512 BF16 or AMX), float32 elsewhere
#pragma once

#include <string>

#include <c10/core/Device.h>

namespace cgdmer {

enum class Precision { fp32, bf16, automatic };

// "fp32" | "bf16" | "auto"; anything else → ConfigError naming `what` (e.g. "--precision").
Precision parse_precision(const std::string& text, const std::string& what = "precision");
const char* precision_name(Precision p);  // "fp32" | "bf16" | "auto"

// fp32 or bf16: what `choice` means on `device`.
Precision resolve_precision(Precision choice, const c10::Device& device);
inline bool uses_bf16(Precision choice, const c10::Device& device) {
  return resolve_precision(choice, device) == Precision::bf16;
}

}  // namespace cgdmer
