// Benchmark (not a test) of the data layer: `prepare` throughput (records/s) and peak memory
// on the PTB-XL 500 Hz records in ../shared/data, and the training loader's batches/s over
// the resulting store. Prints the figures and the command that reproduces them.
//   bench_data_pipeline [PTBXL_DIR] [--jobs N] [--batch B] [--workers W]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "data/loader.h"
#include "data/prepare.h"

using namespace cgdmer;

static double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;  // Linux: kB
}

int main(int argc, char** argv) {
  std::string src = std::string(CGDMER_SHARED_DIR) + "/data/ptb-xl";
  int jobs = 0, batch = 32, workers = 2;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--jobs") && i + 1 < argc) jobs = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--batch") && i + 1 < argc) batch = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--workers") && i + 1 < argc) workers = std::atoi(argv[++i]);
    else src = argv[i];
  }
  const auto out = (std::filesystem::temp_directory_path() / ("cgdmer_bench_store_" + std::to_string(::getpid()))).string();
  const double rss0 = peak_rss_mb();

  PrepareOptions o;
  o.dataset = "ptbxl";
  o.src = src;
  o.out = out;
  o.rate = 500;
  o.jobs = jobs;
  o.progress = false;
  const auto t0 = std::chrono::steady_clock::now();
  const PrepareSummary s = prepare_dataset(o);
  const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("prepare ptbxl @500 Hz: %lld rows, %lld records written (%lld skipped: files absent) in %.2f s "
              "= %.0f written records/s; peak RSS %.0f MB (%.0f MB before prepare)\n",
              (long long)s.records_seen, (long long)s.records_written, (long long)s.records_skipped, dt,
              s.records_written / dt, peak_rss_mb(), rss0);

  ShardStore store = ShardStore::open(out);
  LoaderOptions lo;
  lo.batch_size = batch;
  lo.workers = workers;
  Loader L(store, lo);
  L.next();  // warm-up
  const int n = 300;
  const auto t1 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) L.next();
  const double dl = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  std::printf("loader: %d batches of %d × 12 × 5000 in %.3f s = %.0f batches/s (%.0f records/s), %d workers\n", n,
              batch, dl, n / dl, n * batch / dl, workers);
  std::printf("reproduce: bench_data_pipeline %s --jobs %d --batch %d --workers %d\n", src.c_str(), jobs, batch,
              workers);
  std::filesystem::remove_all(out);
  return 0;
}
