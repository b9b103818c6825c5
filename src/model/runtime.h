// Process-wide LibTorch settings that decide CPU speed (reference/toolchain.md): intra-op
// threads (LibTorch defaults to 1 on this VM) and the bf16 capability probe. Torch-free
// header so the CLI can call it without pulling in <torch/torch.h>.
#pragma once

namespace cgdmer {

// threads <= 0 → all hardware threads. Safe to call more than once.
void configure_cpu_runtime(int threads);

// True when this CPU runs bf16 GEMM natively (AVX-512 BF16 or AMX), i.e. bf16 autocast pays.
bool cpu_has_native_bf16();

}  // namespace cgdmer
