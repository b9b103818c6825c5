// Implements precision.h.
#include "model/precision.h"

#include "core/error.h"
#include "model/gpu.h"
#include "model/runtime.h"

namespace cgdmer {

Precision parse_precision(const std::string& text, const std::string& what) {
  if (text == "fp32") return Precision::fp32;
  if (text == "bf16") return Precision::bf16;
  if (text == "auto") return Precision::automatic;
  throw ConfigError(what + " must be fp32, bf16 or auto (got '" + text + "')");
}

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::fp32: return "fp32";
    case Precision::bf16: return "bf16";
    case Precision::automatic: return "auto";
  }
  return "?";
}

Precision resolve_precision(Precision choice, const c10::Device& device) {
  if (choice != Precision::automatic) return choice;
  const bool native = device.is_cuda() ? cuda_device_has_bf16(device) : cpu_has_native_bf16();
  return native ? Precision::bf16 : Precision::fp32;
}

}  // namespace cgdmer
