// Implements runtime.h.
#include "model/runtime.h"

#include <fstream>
#include <string>
#include <thread>

#include <ATen/Parallel.h>

namespace cgdmer {

void configure_cpu_runtime(int threads) {
  if (threads <= 0) threads = int(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  at::set_num_threads(threads);
}

bool cpu_has_native_bf16() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) == 0)
      return line.find(" avx512_bf16") != std::string::npos ||
             line.find(" amx_bf16") != std::string::npos;
  }
  return false;
}

}  // namespace cgdmer
