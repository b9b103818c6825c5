// `cgdmer prepare`: turns a dataset folder into a shard store (src/data/prepare.h) and prints
// what was written and why records were skipped (details in STORE_DIR/summary.json).
#include <cstdio>
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "command.h"
#include "core/atomic_file.h"
#include "data/prepare.h"

namespace cgdmer::cli::cmd_prepare {  // one namespace per command: apps/cgdmer builds as a unity build
namespace {

struct PrepareFlags {
  PrepareOptions o;
  bool quiet = false;
};

int run_prepare(const PrepareFlags& f) {
  PrepareOptions o = f.o;
  o.progress = !f.quiet;
  const PrepareSummary s = prepare_dataset(o);
  std::printf("%s: %lld records seen, %lld written, %lld skipped (%.1f s, %.1f records/s%s)\n",
              s.store_dir.c_str(), (long long)s.records_seen, (long long)s.records_written,
              (long long)s.records_skipped, s.seconds, s.records_per_s, s.resumed ? ", resumed" : "");
  if (!s.complete) {
    std::printf("store not complete; run the same command again to resume\n");
    return 1;
  }
  // Skip reasons grouped, most frequent first (the full list is in summary.json).
  const auto summary = nlohmann::json::parse(
      read_file((std::filesystem::path(s.store_dir) / "summary.json").string()));
  std::map<std::string, int> reasons;
  for (auto& k : summary["skipped"]) {
    std::string r = k.value("reason", "");
    // Group "<path>: problem" messages by their problem.
    const std::string p = k.value("path", "");
    if (!p.empty() && r.rfind(p, 0) == 0) r = r.substr(std::min(r.size(), p.size() + 2));
    ++reasons[r];
  }
  std::vector<std::pair<int, std::string>> top;
  for (auto& [r, n] : reasons) top.push_back({n, r});
  std::sort(top.rbegin(), top.rend());
  for (std::size_t i = 0; i < top.size() && i < 8; ++i)
    std::printf("  skipped %5d × %s\n", top[i].first, top[i].second.c_str());
  if (top.size() > 8) std::printf("  ... %zu more reasons in summary.json\n", top.size() - 8);
  return 0;
}

RegisterCommand reg{{"prepare", "turn an ECG dataset folder into a shard store for training/evaluation", 10,
                     [](CLI::App& app) -> Runner {
                       auto f = std::make_shared<PrepareFlags>();
                       app.add_option("--dataset", f->o.dataset, "dataset layout")
                           ->required()
                           ->check(CLI::IsMember({"ptbxl", "mimic", "cpsc2018", "csn", "ludb", "folder"}));
                       app.add_option("--src", f->o.src, "dataset root folder")->required();
                       app.add_option("--out", f->o.out, "store folder to write")->required();
                       app.add_option("--rate", f->o.rate,
                                      "sampling rate in Hz (PTB-XL: 100 → records100/, 500 → records500/; "
                                      "other sources are resampled)")
                           ->capture_default_str()->check(CLI::PositiveNumber);
                       app.add_option("--seconds", f->o.seconds, "record length in seconds (crop / zero-pad)")
                           ->capture_default_str()->check(CLI::PositiveNumber);
                       app.add_option("--jobs", f->o.jobs, "worker threads (0 = all cores)")
                           ->capture_default_str()->check(CLI::NonNegativeNumber);
                       app.add_option("--max-text-len", f->o.max_text_len, "token ids kept per report")
                           ->capture_default_str();
                       app.add_option("--min-words", f->o.min_words,
                                      "MIMIC: skip reports with fewer words (MERL: 4)")
                           ->capture_default_str();
                       app.add_option("--norm", f->o.norm,
                                      "minmax: MERL's global min-max over the record (drops its voltage); "
                                      "mv: each lead minus its median, 0.5 + mV/10 (keeps voltage and ST level)")
                           ->capture_default_str()->check(CLI::IsMember({"minmax", "mv"}));
                       app.add_flag("--cpsc-first-2500", f->o.cpsc_first_2500,
                                    "CPSC: MERL's recipe, keep the first 5 s then zero-pad");
                       app.add_flag("--csn-substring-labels", f->o.csn_substring_labels,
                                    "CSN: reproduce MERL's substring label matching (AFIB also sets AF, ...)");
                       app.add_option("--labels", f->o.labels_csv,
                                      "cpsc2018: REFERENCE.csv; csn: ConditionNames_SNOMED-CT.csv; "
                                      "folder: CSV of id → report/labels");
                       app.add_option("--vocab", f->o.vocab, "WordPiece vocabulary (default: bundled MedCPT)");
                       app.add_flag("--quiet", f->quiet, "no progress line");
                       app.footer(
                           "Interrupted runs resume when the same command is run again; the store is "
                           "complete only once STORE_DIR/store.json exists. Skipped records and reasons: "
                           "STORE_DIR/summary.json.");
                       return [f] { return run_prepare(*f); };
                     }}};

}  // namespace
}  // namespace cgdmer::cli::cmd_prepare
