// Implements run_folder.h.
#include "train/run_folder.h"

#include <ctime>
#include <filesystem>
#include <map>

#include "core/atomic_file.h"
#include "plot/chart.h"
#include "train/step_stats.h"

namespace cgdmer {
namespace fs = std::filesystem;
namespace {

// metrics.jsonl keeps only lines up to `step` (a resumed run re-logs what came after).
void truncate_metrics(const std::string& path, std::int64_t step) {
  if (!fs::exists(path)) return;
  std::ifstream in(path);
  std::string line, kept;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;  // torn last line of a killed run
    if (j.value("step", std::int64_t(0)) <= step) kept += line + "\n";
  }
  write_file_atomic(path, kept);
}

// Every numeric key of metrics.jsonl as a series over steps.
std::map<std::string, Series> read_series(const std::string& path) {
  std::map<std::string, Series> s;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    const double x = j.value("step", 0.0);
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!it.value().is_number() || it.key() == "step") continue;
      auto& ser = s[it.key()];
      ser.name = it.key();
      ser.x.push_back(x);
      ser.y.push_back(it.value().get<double>());
    }
  }
  return s;
}

// The named series that exist, with at least two points.
std::vector<Series> pick(const std::map<std::string, Series>& all,
                         const std::vector<std::string>& names) {
  std::vector<Series> out;
  for (const auto& n : names) {
    auto it = all.find(n);
    if (it != all.end() && it->second.x.size() >= 2) out.push_back(it->second);
  }
  return out;
}

void chart(const std::string& path, const std::vector<Series>& series, const char* title,
           const char* y_label, bool log_y) {
  if (series.empty()) return;
  ChartOptions o;
  o.title = title;
  o.x_label = "step";
  o.y_label = y_label;
  o.log_y = log_y;
  save_line_chart(path, series, o);
}

}  // namespace

RunFolder::RunFolder(std::string dir, bool writer, const Config& cfg,
                     std::int64_t resumed_at_step)
    : dir_(std::move(dir)), writer_(writer) {
  if (!writer_) return;
  fs::create_directories(dir_);
  write_file_atomic((fs::path(dir_) / "config.toml").string(), cfg.to_toml());
  const std::string metrics = (fs::path(dir_) / "metrics.jsonl").string();
  if (resumed_at_step >= 0) truncate_metrics(metrics, resumed_at_step);
  else if (fs::exists(metrics)) fs::remove(metrics);
  metrics_.open(metrics, std::ios::app);
}

void RunFolder::log(const nlohmann::json& line) {
  if (writer_) metrics_ << line.dump() << "\n" << std::flush;
}

void RunFolder::plot_curves() const {
  if (!writer_) return;
  const auto all = read_series((fs::path(dir_) / "metrics.jsonl").string());
  const auto png = [&](const char* name) { return (fs::path(dir_) / name).string(); };
  std::vector<std::string> losses{"loss"};
  for (LossTerm t : kLossTerms) losses.push_back(loss_term_name(t));
  losses.push_back("loss_cons_chance");
  losses.push_back("loss_cons_dup_floor");
  chart(png("loss_curves.png"), pick(all, losses), "Pretraining losses", "loss", true);
  chart(png("lr.png"), pick(all, {"lr"}), "Learning rate", "lr", false);
  chart(png("alignment.png"),
        pick(all, {"top1_e2t", "top1_t2e", "top1_chance", "top1_dup_ceiling", "val_recall@1",
                   "val_recall@5", "val_recall@10", "val_recall@5_chance"}),
        "ECG-report alignment (in-batch top-1, validation recall@K)", "fraction", false);
  chart(png("effective_rank.png"),
        pick(all, {"val_erank_ecg_pooled", "val_erank_ecg_shared", "val_erank_ecg_specific",
                   "val_erank_text_pooled", "val_erank_text_shared", "val_erank_text_specific"}),
        "Validation effective rank", "effective rank", false);
}

std::string default_run_dir(const Config& cfg) {
  char buf[32];
  std::time_t t = std::time(nullptr);
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::gmtime(&t));
  return "runs/" + cfg.name + "-" + buf;
}

}  // namespace cgdmer
