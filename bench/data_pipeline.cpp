// Benchmark (not a test) of the data layer: `prepare` throughput (records/s) and peak memory
// on the PTB-XL 500 Hz records in ../shared/data, the training loader's batches/s over the
// resulting store, and (--rss-sweep) how prepare's time and peak RSS grow with the number of
// records: for each N it synthesizes a PTB-XL-layout dataset of N records from the real
// 100 Hz ones and prepares it in a fresh child process, so each peak is measured alone.
// Prints the figures, a `RESULT {json}` line for bench/run_all.sh, and the reproducing command.
//   bench_data_pipeline [PTBXL_DIR] [--jobs N] [--batch B] [--workers W]
//                       [--rss-sweep 1000,10000,50000] [--sweep-src PTBXL_DIR] [--sweep-only]
//   bench_data_pipeline --prepare-child SRC OUT RATE JOBS    (internal: one prepare, prints CHILD {json})
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "data/loader.h"
#include "data/prepare.h"
#include "io/csv.h"

using namespace cgdmer;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;  // Linux: kB
}

// A field of /proc/self/status in MB ("VmRSS", "VmHWM"; the file gives kB).
double proc_status_mb(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string k = std::string(key) + ":";
  while (std::getline(in, line))
    if (line.rfind(k, 0) == 0) return std::atof(line.c_str() + k.size()) / 1024.0;
  return -1;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, "cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_bytes(const std::string& path, const char* p, std::size_t n) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(p, std::streamsize(n));
  if (!out) throw IoError(path, "write failed");
}

// RFC 4180 field: quoted when it holds a separator, quote or line end.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
}

// ---- child: one prepare in this (fresh) process -------------------------------------------

int prepare_child(const std::string& src, const std::string& out, double rate, int jobs) {
  const double start_mb = proc_status_mb("VmRSS");  // libraries loaded, nothing prepared yet
  PrepareOptions o;
  o.dataset = "ptbxl";
  o.src = src;
  o.out = out;
  o.rate = rate;
  o.jobs = jobs;
  o.progress = false;
  const PrepareSummary s = prepare_dataset(o);
  rusage u{};
  getrusage(RUSAGE_SELF, &u);  // CPU time too: on a loaded machine wall time says little
  const double cpu_s = double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
  // VmHWM of this process, not the parent's ru_maxrss of children: on Linux that also counts
  // the forked copy of the parent before exec, i.e. the parent's RSS.
  json j = {{"records_seen", s.records_seen},     {"records_written", s.records_written},
            {"records_skipped", s.records_skipped}, {"seconds", s.seconds},
            {"records_per_s", s.records_written / std::max(s.seconds, 1e-9)},
            {"cpu_s", cpu_s},
            {"start_rss_mb", start_mb},           {"peak_rss_mb", proc_status_mb("VmHWM")}};
  std::printf("CHILD %s\n", j.dump().c_str());
  return 0;
}

// Runs `self --prepare-child ...` and returns the child's CHILD json.
json run_child(const std::string& src, const std::string& out, double rate, int jobs) {
  int fds[2];
  if (::pipe(fds) != 0) throw IoError("pipe", std::strerror(errno));
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const std::string rate_s = std::to_string(rate), jobs_s = std::to_string(jobs);
  std::fflush(stdout);
  const pid_t pid = ::fork();
  if (pid < 0) throw IoError("fork", std::strerror(errno));
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    const char* argv[] = {self.c_str(), "--prepare-child", src.c_str(), out.c_str(),
                          rate_s.c_str(), jobs_s.c_str(), nullptr};
    ::execv(self.c_str(), const_cast<char* const*>(argv));
    std::_Exit(127);
  }
  ::close(fds[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) text.append(buf, std::size_t(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  const auto p = text.rfind("CHILD ");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || p == std::string::npos)
    throw IoError(src, "prepare child failed (status " + std::to_string(status) + "): " + text);
  return json::parse(text.substr(p + 6, text.find('\n', p) - p - 6));
}

// ---- synthetic PTB-XL of N records ------------------------------------------------------------

struct RealRecord {
  std::vector<std::string> row;  // its ptbxl_database.csv row (report, scp_codes, fold, ...)
  std::string stem;              // e.g. 00001_lr
  std::string hea, dat;          // file contents
  std::size_t frame_bytes = 0;   // one sample of every lead (format 16: 2 bytes × leads)
};

// Writes records 1..n_max under dir/records100/ and returns the CSV header and rows (text, one
// per record, in id order). Record i copies real record i mod R; pass p = i / R rotates its
// samples circularly by p·101 frames (per-lead checksums stay valid) so no two are identical.
std::vector<std::string> synthesize_records(const std::string& real_dir, const std::string& dir,
                                            std::int64_t n_max, std::string& csv_header) {
  const CsvTable db = CsvTable::read(real_dir + "/ptbxl_database.csv");
  const int c_id = db.column("ecg_id"), c_lr = db.column("filename_lr"), c_hr = db.column("filename_hr");
  std::vector<RealRecord> real;
  for (std::size_t r = 0; r < db.n_rows(); ++r) {
    const std::string base = real_dir + "/" + db.at(r, c_lr);
    if (!fs::exists(base + ".hea") || !fs::exists(base + ".dat")) continue;
    RealRecord rr;
    rr.row = db.row(r);
    rr.stem = fs::path(base).filename().string();
    rr.hea = read_bytes(base + ".hea");
    rr.dat = read_bytes(base + ".dat");
    std::istringstream first(rr.hea);
    std::string name, n_sig;
    first >> name >> n_sig;
    rr.frame_bytes = std::size_t(std::max(1, std::atoi(n_sig.c_str()))) * 2;
    real.push_back(std::move(rr));
  }
  if (real.empty()) throw IoError(real_dir, "no PTB-XL records100 files to synthesize from");
  {
    std::string h;
    for (std::size_t c = 0; c < db.header().size(); ++c) h += (c ? "," : "") + csv_field(db.header()[c]);
    csv_header = h;
  }
  std::vector<std::string> rows;
  rows.reserve(std::size_t(n_max));
  std::string rotated;
  for (std::int64_t i = 0; i < n_max; ++i) {
    const RealRecord& rr = real[std::size_t(i % std::int64_t(real.size()))];
    const std::int64_t id = i + 1;
    char stem[32], sub[32];
    std::snprintf(stem, sizeof stem, "%05lld_lr", (long long)id);
    std::snprintf(sub, sizeof sub, "%05lld", (long long)(id / 1000 * 1000));
    const fs::path folder = fs::path(dir) / "records100" / sub;
    fs::create_directories(folder);
    std::string hea = rr.hea;
    replace_all(hea, rr.stem, stem);
    write_bytes((folder / (std::string(stem) + ".hea")).string(), hea.data(), hea.size());
    const std::size_t frames = rr.dat.size() / rr.frame_bytes;
    const std::size_t shift = frames ? std::size_t((i / std::int64_t(real.size())) * 101) % frames : 0;
    const std::size_t cut = shift * rr.frame_bytes;
    rotated.assign(rr.dat, cut, std::string::npos);
    rotated.append(rr.dat, 0, cut);
    write_bytes((folder / (std::string(stem) + ".dat")).string(), rotated.data(), rotated.size());
    std::vector<std::string> row = rr.row;
    row[std::size_t(c_id)] = std::to_string(id);
    row[std::size_t(c_lr)] = std::string("records100/") + sub + "/" + stem;
    row[std::size_t(c_hr)] = std::string("records500/") + sub + "/" + std::to_string(id) + "_hr";
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) line += (c ? "," : "") + csv_field(row[c]);
    rows.push_back(std::move(line));
  }
  return rows;
}

std::vector<std::int64_t> parse_sizes(const std::string& list) {
  std::vector<std::int64_t> out;
  std::stringstream ss(list);
  for (std::string part; std::getline(ss, part, ',');)
    if (!part.empty()) out.push_back(std::atoll(part.c_str()));
  out.erase(std::remove_if(out.begin(), out.end(), [](std::int64_t n) { return n <= 0; }), out.end());
  return out;
}

// The sweep: one synthetic record tree for the largest N; per N a folder with its own CSV
// (the first N rows), scp_statements.csv and a link to the shared records100/.
json rss_sweep(const std::string& real_dir, const std::vector<std::int64_t>& sizes, int jobs) {
  const std::string tmp =
      (fs::temp_directory_path() / ("cgdmer_bench_sweep_" + std::to_string(::getpid()))).string();
  fs::create_directories(tmp);
  json out = {{"mode", "prepare_sweep"}, {"rate_hz", 100}, {"jobs", jobs}, {"sizes", json::array()}};
  try {
    const std::int64_t n_max = *std::max_element(sizes.begin(), sizes.end());
    const auto tg = std::chrono::steady_clock::now();
    std::string header;
    const std::vector<std::string> rows = synthesize_records(real_dir, tmp, n_max, header);
    std::printf("prepare sweep: synthesized %lld PTB-XL records (100 Hz) from %s in %.1f s under %s\n",
                (long long)n_max, real_dir.c_str(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - tg).count(), tmp.c_str());
    for (std::int64_t n : sizes) {
      const std::string src = tmp + "/n" + std::to_string(n);
      fs::create_directories(src);
      {
        std::ofstream csv(src + "/ptbxl_database.csv", std::ios::binary | std::ios::trunc);
        csv << header << '\n';
        for (std::int64_t i = 0; i < n; ++i) csv << rows[std::size_t(i)] << '\n';
        if (!csv) throw IoError(src + "/ptbxl_database.csv", "write failed");
      }
      fs::copy_file(real_dir + "/scp_statements.csv", src + "/scp_statements.csv");
      fs::create_directory_symlink(tmp + "/records100", src + "/records100");
      const std::string store = src + "_store";
      json r = run_child(src, store, 100, jobs);
      r["records"] = n;
      std::printf("prepare sweep N=%6lld: %lld written in %.2f s = %.0f records/s (%.1f CPU s = %.0f us/record); "
                  "peak RSS %.1f MB (%.1f MB at child start, +%.1f MB during prepare)\n",
                  (long long)n, (long long)r["records_written"].get<std::int64_t>(), r["seconds"].get<double>(),
                  r["records_per_s"].get<double>(), r["cpu_s"].get<double>(),
                  1e6 * r["cpu_s"].get<double>() / double(std::max<std::int64_t>(1, n)), r["peak_rss_mb"].get<double>(),
                  r["start_rss_mb"].get<double>(),
                  r["peak_rss_mb"].get<double>() - r["start_rss_mb"].get<double>());
      std::fflush(stdout);
      out["sizes"].push_back(r);
      fs::remove_all(store);
      fs::remove_all(src);
    }
  } catch (...) {
    fs::remove_all(tmp);
    throw;
  }
  fs::remove_all(tmp);
  const json& a = out["sizes"].front();
  const json& b = out["sizes"].back();
  const double ratio = b["peak_rss_mb"].get<double>() / a["peak_rss_mb"].get<double>();
  const double grow_mb = b["peak_rss_mb"].get<double>() - a["peak_rss_mb"].get<double>();
  out["rss_growth"] = ratio;
  out["rss_growth_mb"] = grow_mb;
  out["from_records"] = a["records"];
  out["to_records"] = b["records"];
  std::printf("prepare peak RSS growth N=%lld -> N=%lld: %.3fx (%+.1f MB, %.0f bytes per extra record); "
              "target <= 1.10x: %s\n",
              (long long)a["records"].get<std::int64_t>(), (long long)b["records"].get<std::int64_t>(), ratio,
              grow_mb,
              grow_mb * 1048576.0 /
                  std::max<double>(1, double(b["records"].get<std::int64_t>() - a["records"].get<std::int64_t>())),
              ratio <= 1.10 ? "met" : "MISSED");
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 6 && !std::strcmp(argv[1], "--prepare-child"))
    return prepare_child(argv[2], argv[3], std::atof(argv[4]), std::atoi(argv[5]));

  std::string src = std::string(CGDMER_SHARED_DIR) + "/data/ptb-xl";
  std::string sweep_src = std::string(CGDMER_SHARED_DIR) + "/data/ptb-xl";
  std::string sweep_list;
  bool sweep_only = false;
  int jobs = 0, batch = 32, workers = 2;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--jobs") && i + 1 < argc) jobs = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--batch") && i + 1 < argc) batch = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--workers") && i + 1 < argc) workers = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--rss-sweep") && i + 1 < argc) sweep_list = argv[++i];
    else if (!std::strcmp(argv[i], "--sweep-src") && i + 1 < argc) sweep_src = argv[++i];
    else if (!std::strcmp(argv[i], "--sweep-only")) sweep_only = true;
    else src = argv[i];
  }
  std::string reproduce = "bench_data_pipeline " + src + " --jobs " + std::to_string(jobs) + " --batch " +
                          std::to_string(batch) + " --workers " + std::to_string(workers);
  if (!sweep_list.empty()) reproduce += " --rss-sweep " + sweep_list + " --sweep-src " + sweep_src;
  if (sweep_only) reproduce += " --sweep-only";

  if (!sweep_only) {
    const auto out =
        (fs::temp_directory_path() / ("cgdmer_bench_store_" + std::to_string(::getpid()))).string();
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
    std::filesystem::remove_all(out);
  }

  if (!sweep_list.empty()) {
    const std::vector<std::int64_t> sizes = parse_sizes(sweep_list);
    if (sizes.size() < 2) {
      std::fprintf(stderr, "--rss-sweep needs at least two record counts, e.g. 1000,50000\n");
      return 2;
    }
    json r = rss_sweep(sweep_src, sizes, jobs > 0 ? jobs : int(std::max(1u, std::thread::hardware_concurrency())));
    std::printf("RESULT %s\n", r.dump().c_str());
  }
  std::printf("reproduce: %s\n", reproduce.c_str());
  return 0;
}
