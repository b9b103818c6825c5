// Implements checkpoint.h: the loop state and training data as JSON, keep-last-k and best.
#include "train/checkpoint.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "core/error.h"

namespace cgdmer {
namespace fs = std::filesystem;

nlohmann::json to_json(const TrainState& s) {
  return {{"step", s.step},
          {"epoch", s.epoch},
          {"loader_epoch", s.loader.epoch},
          {"loader_next_batch", s.loader.next_batch},
          {"seed", s.seed},
          {"world_size", s.world_size},
          {"bad_steps_in_row", s.bad_steps_in_row},
          // JSON has no -inf: null = no validation yet.
          {"best_val", std::isfinite(s.best_val) ? nlohmann::json(s.best_val) : nullptr},
          {"best_step", s.best_step}};
}

TrainState train_state_from_json(const nlohmann::json& s, const std::string& path) {
  TrainState t;
  try {
    t.step = s.at("step");
    t.epoch = s.at("epoch");
    t.loader.epoch = s.at("loader_epoch");
    t.loader.next_batch = s.at("loader_next_batch");
    t.seed = s.at("seed");
    t.world_size = s.at("world_size");
    t.bad_steps_in_row = s.at("bad_steps_in_row");
    t.best_val = s.at("best_val").is_null() ? -std::numeric_limits<double>::infinity()
                                            : s.at("best_val").get<double>();
    t.best_step = s.at("best_step");
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(path, std::string("training state is invalid: ") + e.what());
  }
  return t;
}

TrainState train_state_of(const CheckpointMeta& meta, const std::string& path) {
  if (meta.train_state.is_null())
    throw FormatError(path, "checkpoint holds no training state (an inference export?)");
  return train_state_from_json(meta.train_state, path);
}

void prune_checkpoints(const std::string& run_dir, int keep) {
  const fs::path dir = checkpoint_dir(run_dir);
  if (!fs::is_directory(dir)) return;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (n.find(".tmp.") != std::string::npos) {
      std::error_code ec;
      fs::remove(e.path(), ec);
    }
  }
  if (keep <= 0) return;
  auto all = list_checkpoints(run_dir);
  for (std::size_t i = 0; i + std::size_t(keep) < all.size(); ++i) {
    std::error_code ec;
    fs::remove(all[i], ec);
  }
}

void mark_best_checkpoint(const std::string& run_dir, const std::string& ckpt) {
  const std::string best = best_checkpoint_path(run_dir);
  const std::string tmp = best + ".tmp." + std::to_string(::getpid());
  std::error_code ec;
  fs::remove(tmp, ec);
  // A hard link costs nothing and survives pruning of the step file; rename is atomic.
  fs::create_hard_link(ckpt, tmp, ec);
  if (ec) {
    fs::copy_file(ckpt, tmp, fs::copy_options::overwrite_existing, ec);
    if (ec) throw IoError(best, "cannot write best checkpoint: " + ec.message());
  }
  fs::rename(tmp, best, ec);
  if (ec) throw IoError(best, "cannot rename best checkpoint into place: " + ec.message());
}

}  // namespace cgdmer
