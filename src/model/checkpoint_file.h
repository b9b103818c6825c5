// The checkpoint file: its byte layout, writing it atomically, reading and verifying it, and
// where a run folder keeps them. Model layer, so that evaluation and serving load models
// without the training engine; the training policy (when to save, prune, mark best, what the
// loop state holds) stays in train/checkpoint.h.
//
// File layout (little-endian):
//   "CGDMCKPT"  8 bytes magic
//   u32 format version, u32 reserved
//   u64 payload size P
//   P bytes     torch::serialize::OutputArchive (zip): "model" (p.<param>, b.<buffer>),
//               "optimizer" (AdamW state by position, model/adamw_state_archive.h; absent in
//               inference exports; files before 2026-12 hold torch's own "optim" archive,
//               still read), "meta" (JSON text, see CheckpointMeta), "rng.torch" (global CPU
//               generator state; informational)
// Every tensor is written on the CPU whatever device trained it, and nothing in the layout
// depends on the LibTorch version, so either line (1.13 or 2.x) reads what the other wrote.
//   u64 checksum of the payload
// Format 2 (this build writes it): the checksum is FNV-1a-64 (offset basis
// 14695981039346656037). Format 1 (cgdmer before 2026-12) used the same loop from a mistyped
// basis (1469598103934665603); such files are still read, verified with that basis.
// A file shorter than its header says, or whose checksum differs, is refused (FormatError);
// a checkpoint of another model shape is refused (ConfigError). Files are written with
// AtomicFile (temporary name, fsync, rename): a kill during a save never leaves a partial
// file under the final name.
//
// Run folder: RUN/checkpoints/step-00000012.ckpt (zero-padded step), RUN/checkpoints/best.ckpt.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

namespace cgdmer {

inline constexpr std::uint32_t kCheckpointFormatVersion = 2;

struct CheckpointMeta {
  std::uint32_t format_version = kCheckpointFormatVersion;  // of the file it was read from
  std::string config_toml;     // resolved config
  std::string model_hash;      // Config::model_hash() of config_toml when written
  std::uint32_t store_version = 0;
  std::string store_hash;      // preprocessing hash of the training store
  std::int64_t store_records = 0;
  std::string torch_version;   // LibTorch that wrote the file (set by the writer)
  // The training loop's state, opaque here (train/checkpoint.h gives it its type); null in
  // inference exports.
  nlohmann::json train_state;
  // The run's pretraining data (TrainingData below); null when not recorded.
  nlohmann::json training_data;
  // A classifier model's head (model/classifier_head.h: label names, weights, temperature,
  // thresholds); null for a CG-DMER checkpoint without one.
  nlohmann::json classifier;
};

// One store a run pretrains on, and the records the loader can draw from it.
struct TrainingStore {
  std::string store;                   // path as given to --data
  std::string dataset;                 // store's dataset name ("ptbxl", "ludb", ...)
  std::string preprocessing_hash;
  std::int64_t store_records = 0;
  std::vector<std::string> record_ids; // the records trained on (store record ids)
};

// The pretraining data of a run, recorded in its checkpoints so that a resume cannot drift
// onto other records and evaluation can refuse test records that pretraining saw: the
// stores (one per --data, in order), the folds drawn from them and the records trained on.
// A fine-tuned model adds its fine-tuning records as one more store.
struct TrainingData {
  std::vector<TrainingStore> stores;
  // The stores' common preprocessing settings text: the model's preprocessing contract
  // (data/preprocess_contract.h); "" in checkpoints written before cgdmer recorded it.
  std::string preprocessing_settings;
  std::vector<int> folds;              // requested folds (empty = every record); a store
                                       // whose records carry no fold (LUDB) is taken whole
  std::string val_store;               // "" = none
  std::vector<int> val_folds;

  // Every record id of `dataset` the model trained on, over all its stores of that dataset.
  std::vector<std::string> record_ids_of(const std::string& dataset) const;
};

nlohmann::json to_json(const TrainingData& d);
TrainingData training_data_from_json(const nlohmann::json& j, const std::string& path);
// The training data recorded in a checkpoint; false when the checkpoint records none (written
// before cgdmer recorded it, or an export made without it).
bool training_data_of(const CheckpointMeta& meta, TrainingData* out,
                      const std::string& path = "checkpoint");

// How the optimizer state is laid out in the file. by_position is what cgdmer writes;
// torch_archive is torch's own Optimizer::save (what cgdmer wrote before 2026-12), kept only so
// that tests/train/make_checkpoint_fixture.cpp can write the compatibility fixture.
enum class OptimizerLayout { by_position, torch_archive };

// Writes atomically. `opt` may be null (inference export).
void save_checkpoint(const std::string& path, torch::nn::Module& model,
                     torch::optim::Optimizer* opt, const CheckpointMeta& meta,
                     const torch::Tensor& torch_rng_state = {},
                     OptimizerLayout layout = OptimizerLayout::by_position);

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
  // of another model shape is refused with ConfigError naming both hashes. The stored hash is
  // compared first; when it differs, the hash of the stored config as this build computes it
  // is (a file written before a hash or config-key change is still the same model).
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

// Run-folder layout.
std::string checkpoint_dir(const std::string& run_dir);
std::string checkpoint_path(const std::string& run_dir, std::int64_t step);
std::string best_checkpoint_path(const std::string& run_dir);
// Completed step checkpoints, oldest first (temporary files of an interrupted save ignored).
std::vector<std::string> list_checkpoints(const std::string& run_dir);
std::string latest_checkpoint(const std::string& run_dir);  // "" if none
std::string classifier_model_path(const std::string& run_dir);  // RUN/classifier.ckpt
// A checkpoint file as given, or for a run folder: its classifier.ckpt (a `cgdmer finetune`
// run's result), else its best.ckpt, else its latest step. IoError when a folder holds none.
std::string resolve_checkpoint(const std::string& ckpt_or_run_dir);

}  // namespace cgdmer
