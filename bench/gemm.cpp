// bench_gemm: the machine's GEMM roofline in this process environment (same threads,
// allocator and BLAS/oneDNN as the training step): fp32 and bf16 GFLOP/s of an n×n×n
// torch::mm (2·n³ FLOP), best and median over `reps` after one warm-up. The output matrix is
// preallocated (mm_out), so allocation and page faults are not in the figure.
// Prints a human line and a "RESULT {json}" line per precision (bench/run_all.sh reads them).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "model/runtime.h"

int main(int argc, char** argv) {
  CLI::App app{"GEMM roofline (fp32 and bf16 torch::mm)"};
  int64_t n = 2048;
  int reps = 7, threads = 0;
  app.add_option("--n", n, "matrix size");
  app.add_option("--reps", reps, "timed repetitions");
  app.add_option("--threads", threads, "intra-op threads (0 = all cores)");
  CLI11_PARSE(app, argc, argv);
  cgdmer::configure_cpu_runtime(threads);
  const char* wp = std::getenv("OMP_WAIT_POLICY");
  std::printf("# threads=%d OMP_WAIT_POLICY=%s\n", at::get_num_threads(), wp ? wp : "(unset)");

  for (auto dtype : {torch::kFloat32, torch::kBFloat16}) {
    torch::manual_seed(0);
    auto a = torch::randn({n, n}).to(dtype), b = torch::randn({n, n}).to(dtype);
    auto c = torch::empty({n, n}, a.options());
    torch::mm_out(c, a, b);  // warm-up (oneDNN primitive creation, page faults of c)
    std::vector<double> ts;
    for (int i = 0; i < reps; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      torch::mm_out(c, a, b);
      ts.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ts.begin(), ts.end());
    const double flop = 2.0 * n * n * n;
    const double best = flop / ts.front() / 1e9, median = flop / ts[ts.size() / 2] / 1e9;
    const char* name = dtype == torch::kFloat32 ? "fp32" : "bf16";
    std::printf("gemm %s n=%lld  best %.1f GFLOP/s  median %.1f GFLOP/s\n", name, (long long)n, best, median);
    nlohmann::json r = {{"mode", "gemm"}, {"precision", name}, {"n", n}, {"reps", reps},
                        {"threads", at::get_num_threads()}, {"gflops_best", best}, {"gflops_median", median},
                        {"seconds", ts}};
    std::printf("RESULT %s\n", r.dump().c_str());
  }
  std::printf("# reproduce: %s", argv[0]);
  for (int i = 1; i < argc; ++i) std::printf(" %s", argv[i]);
  std::printf("\n");
  return 0;
}
