// The run folder's files besides checkpoints: config.toml (the resolved config), metrics.jsonl
// (one JSON object per logged step or validation) and the PNG curves drawn from it:
//   loss_curves.png   every loss term (log scale)
//   lr.png            the learning rate
//   alignment.png     in-batch top-1 ECG→report / report→ECG next to chance and the duplicate
//                     ceiling; validation recall@K next to its chance
//   effective_rank.png  validation effective rank of pooled, h_sh and h_sp features
// Only rank 0 writes (the others hold an inert RunFolder).
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.h"

namespace cgdmer {

class RunFolder {
 public:
  // Creates the folder and writes config.toml. resumed_at_step >= 0: metrics.jsonl keeps its
  // lines up to that step (a resumed run re-logs what came after); < 0: a fresh log.
  RunFolder(std::string dir, bool writer, const Config& cfg, std::int64_t resumed_at_step);
  const std::string& dir() const { return dir_; }
  void log(const nlohmann::json& line);
  void plot_curves() const;

 private:
  std::string dir_;
  bool writer_;
  std::ofstream metrics_;
};

// runs/<config name>-<UTC yyyymmdd-hhmmss>
std::string default_run_dir(const Config& cfg);

}  // namespace cgdmer
