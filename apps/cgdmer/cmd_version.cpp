// `cgdmer info`: what this build is and how the runtime is configured (threads, BLAS, bf16,
// CUDA), so a user can check the speed-critical settings before a long run.
#include <cstdio>
#include <cstdlib>

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include "command.h"
#include "core/paths.h"
#include "model/runtime.h"

namespace cgdmer::cli::cmd_version {  // one namespace per command: apps/cgdmer builds as a unity build
namespace {

int run_info() {
  std::printf("cgdmer 0.1.0\n");
  std::printf("libtorch: %s\n", TORCH_VERSION);
  std::printf("intra-op threads: %d\n", at::get_num_threads());
  const char* wp = std::getenv("OMP_WAIT_POLICY");
  std::printf("OMP_WAIT_POLICY: %s\n", wp ? wp : "(unset)");
  std::printf("native bf16: %s\n", cpu_has_native_bf16() ? "yes" : "no");
  std::printf("cuda available: %s\n", torch::cuda::is_available() ? "yes" : "no");
  std::printf("resources: %s\n", resource_dir().c_str());
  std::printf("%s\n", at::get_parallel_info().c_str());
  return 0;
}

RegisterCommand reg{{"info", "show the build, threads, BLAS and bf16/CUDA support", 100,
                     [](CLI::App&) -> Runner { return run_info; }}};

}  // namespace
}  // namespace cgdmer::cli::cmd_version
