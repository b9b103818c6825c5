// Training checkpoints: everything that decides the next step, in one file.
//
// File layout (little-endian):
//   "CGDMCKPT"  8 bytes magic
//   u32 format version (1), u32 reserved
//   u64 payload size P
//   P bytes     torch::serialize::OutputArchive (zip): "model" (params + buffers),
//               "optim" (AdamW exp_avg/exp_avg_sq/step per param), "meta" (JSON text,
//               see CheckpointMeta), "rng.torch" (global CPU generator state after the
//               step; informational — the engine re-seeds it every step)
//   u64 FNV-1a-64 of the payload
// A file shorter than its header says, or whose checksum differs, is refused (FormatError);
// so is one whose model_hash differs from the config being trained/loaded (ConfigError).
// Files are written with AtomicFile (temporary name, fsync, rename): a kill during a save
// never leaves a partial file under the final name.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "data/loader.h"

namespace cgdmer {

struct Config;
class CgDmer;

struct TrainState {
  std::int64_t step = 0;           // optimizer steps done (= scheduler position)
  std::int64_t epoch = 0;          // epoch of the last batch consumed
  LoaderState loader;              // next batch to read (this rank's shard)
  std::uint64_t shuffle_seed = 42;
  std::uint64_t seed = 42;         // run seed (per-step RNGs derive from seed, rank, step)
  int world_size = 1;
  int bad_steps_in_row = 0;
  double best_val = -std::numeric_limits<double>::infinity();
  std::int64_t best_step = -1;
  // Free-form RNG state text for callers that keep a stream across steps. The engine keeps
  // none: its text/ECG masks are seeded per sample and dropout per (seed, rank, step).
  std::string text_rng_state;
};

struct CheckpointMeta {
  int format_version = 1;
  std::string config_toml;  // resolved config
  std::string model_hash;
  std::uint32_t store_version = 0;
  std::string store_hash;   // preprocessing hash of the training store
  std::int64_t store_records = 0;
  std::string torch_version;
  TrainState state;
};

// Writes atomically. `opt` may be null (inference export).
void save_checkpoint(const std::string& path, torch::nn::Module& model,
                     torch::optim::Optimizer* opt, const CheckpointMeta& meta,
                     const torch::Tensor& torch_rng_state = {});

// A checkpoint file read, verified (framing, checksum) and parsed once: its meta first (the
// model to load into is built from the meta's config), then its tensors, without reading a
// multi-GB file twice.
class CheckpointReader {
 public:
  explicit CheckpointReader(const std::string& path);
  ~CheckpointReader();
  CheckpointReader(CheckpointReader&&) noexcept;
  const CheckpointMeta& meta() const { return meta_; }
  const std::string& path() const { return path_; }
  // Loads into `model` (and `opt` when non-null). expect_model_hash non-empty → a checkpoint
  // of another model shape is refused with ConfigError naming both hashes.
  void load(torch::nn::Module& model, torch::optim::Optimizer* opt,
            const std::string& expect_model_hash, torch::Tensor* torch_rng_state = nullptr);

 private:
  std::string path_;
  std::unique_ptr<torch::serialize::InputArchive> archive_;
  CheckpointMeta meta_;
};

// Validates framing and reads the meta (the whole file is read and checksummed).
CheckpointMeta read_checkpoint_meta(const std::string& path);

// CheckpointReader(path).load(...), returning the meta.
CheckpointMeta load_checkpoint(const std::string& path, torch::nn::Module& model,
                               torch::optim::Optimizer* opt,
                               const std::string& expect_model_hash,
                               torch::Tensor* torch_rng_state = nullptr);

// Run-folder layout: RUN/checkpoints/step-00000012.ckpt, RUN/checkpoints/best.ckpt.
std::string checkpoint_dir(const std::string& run_dir);
std::string checkpoint_path(const std::string& run_dir, std::int64_t step);
std::string best_checkpoint_path(const std::string& run_dir);
// Completed step checkpoints, oldest first (temporary files of an interrupted save ignored).
std::vector<std::string> list_checkpoints(const std::string& run_dir);
std::string latest_checkpoint(const std::string& run_dir);  // "" if none
// Deletes all but the newest `keep` step checkpoints (keep <= 0: keep all) and leftover
// temporaries of interrupted saves.
void prune_checkpoints(const std::string& run_dir, int keep);
// best.ckpt becomes (a hard link to, or a copy of) `ckpt`, atomically.
void mark_best_checkpoint(const std::string& run_dir, const std::string& ckpt);

// For eval/serve: a file, or a run folder (best.ckpt if present, else the latest step).
// Builds the model from the checkpoint's resolved config, loads the weights, eval() mode.
CgDmer load_model_for_inference(const std::string& ckpt_or_run_dir, Config* cfg_out);

}  // namespace cgdmer
