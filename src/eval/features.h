// Frozen-encoder feature extraction for the evaluation suite: batched forward passes over a
// shard store (bf16 autocast where the CPU runs it natively), producing the linear-probe
// features (ecg_features, (N, D)) and the zero-shot embeddings (ecg_shared, (N, E)), cached
// on disk as raw float32 files keyed by model identity and store so a second evaluate / probe
// run skips the encoder.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "data/shard_store.h"
#include "model/cgdmer_model.h"
#include "model/precision.h"

namespace cgdmer {

struct FeatureOptions {
  int batch_size = 64;
  Precision precision = Precision::automatic;
  std::string cache_dir;           // "" = no caching
  std::string model_key;           // identity of the weights (e.g. checkpoint path + size + mtime)
  bool progress = true;
  bool want_features = true;       // linear probing / t-SNE
  bool want_shared = false;        // zero-shot (same encoder pass)
  // Lead subset (indices in the store's lead order, ascending; empty = every lead). Each
  // record is cut to these leads as a recording of only them would be preprocessed
  // (data/preprocess.h restrict_to_leads: re-normalised over them, other rows 0), then
  // encoded on their tokens only, or — zero_fill_absent — as a full input whose other leads
  // are 0 (the zero-filling convention that CG-DMER's per-lead tokens make unnecessary).
  std::vector<int> leads;
  bool zero_fill_absent = false;
  // Stores whose records are longer than the model's window (prepare --seconds 60 for a 10-s
  // model): each record is cut into windows (data/preprocess.h window_starts over its recorded
  // duration, so zero padding is never a window), each window min–max'ed alone as a record of
  // that length would be, and the features averaged over its windows (shared: the mean of the
  // normalised embeddings, re-normalised).
  double window_stride_seconds = 0;  // 0 = the window length
};

struct EcgFeatures {
  torch::Tensor features;  // (N, D) float32: mean of all tokens → LayerNorm (if wanted)
  torch::Tensor shared;    // (N, E) float32: f_sh^ecg, L2-normalised (if wanted)
  double seconds = 0;      // time spent in the encoder (0 when loaded from cache)
  bool from_cache = false;
};

// Features of the records `rows` of `store` (all records when empty).
EcgFeatures extract_features(CgDmer& model, const ShardStore& store,
                             const std::vector<std::int64_t>& rows, const FeatureOptions& opt);

// A cache key for a model file: path, size and modification time.
std::string model_file_key(const std::string& path);

}  // namespace cgdmer
