// The training side of checkpoints: what the loop's state is (TrainState) and the run
// folder's policy: keep the last k step checkpoints, mark the best. The file format itself, reading and
// inference loading are the model layer's (model/checkpoint_file.h).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/loader.h"
#include "model/checkpoint_file.h"

namespace cgdmer {

// Everything besides weights and optimizer moments that decides the next step.
struct TrainState {
  std::int64_t step = 0;           // optimizer steps done (= scheduler position)
  std::int64_t epoch = 0;          // epoch of the last batch consumed
  LoaderState loader;              // next batch to read (this rank's shard)
  std::uint64_t seed = 42;         // run seed (data order and per-step RNGs derive from it)
  int world_size = 1;
  int bad_steps_in_row = 0;
  double best_val = -std::numeric_limits<double>::infinity();
  std::int64_t best_step = -1;
};

nlohmann::json to_json(const TrainState& s);
// FormatError naming `path` when a field is missing or mistyped.
TrainState train_state_from_json(const nlohmann::json& j, const std::string& path);
// The state stored in a checkpoint's meta.
TrainState train_state_of(const CheckpointMeta& meta, const std::string& path = "checkpoint");

// Deletes all but the newest `keep` step checkpoints (keep <= 0: keep all) and leftover
// temporaries of interrupted saves.
void prune_checkpoints(const std::string& run_dir, int keep);
// best.ckpt becomes (a hard link to, or a copy of) `ckpt`, atomically.
void mark_best_checkpoint(const std::string& run_dir, const std::string& ckpt);

}  // namespace cgdmer
