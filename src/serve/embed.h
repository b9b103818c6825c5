// `cgdmer embed` as a library call: ECG files, folders (every record below them) and shard
// stores → per-ECG features, written as float32 .npy (+ ids file, optional CSV).
//   pooled: (N, D) mean of all encoder tokens → LayerNorm (the linear-probe feature)
//   shared: (N, E) f_sh^ecg(pooled), L2-normalised (the zero-shot / retrieval embedding)
// Output files for --out FILE.npy (STEM = FILE without ".npy"):
//   kind pooled|shared: FILE.npy;  kind both: STEM.pooled.npy and STEM.shared.npy
//   STEM.ids.txt: one record id per row, same order; --csv: the same matrices as CSV
//   (STEM[.kind].csv, header "id,f0,f1,...").  --dump-input: the (N, L, S) model input.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "io/ecg_readers.h"
#include "model/cgdmer_model.h"
#include "model/precision.h"

namespace cgdmer {

struct EmbedOptions {
  std::string model;                // checkpoint or run folder
  std::vector<std::string> inputs;  // record files, folders, store folders
  std::string out;                  // FILE.npy
  std::string kind = "both";        // pooled | shared | both
  int batch_size = 64;
  Precision precision = Precision::fp32;
  bool csv = false;
  std::string dump_input;           // "" = none; else (N, L, S) float32 .npy (a long record's first window)
  bool progress = true;
  // A record file longer than the model's window (serving_model.h prepare_record_windows):
  // "mean" of its windows' pooled features (and the re-normalised mean of their shared
  // embeddings), or "first" window only (what `prepare` crops to). Store rows are one window.
  std::string aggregate = "mean";
  double window_stride_seconds = 0;  // 0 = the window length (no overlap)
  RecordReadOptions read;            // a .csv record's rate (csv_fs) and unit
  std::string device = "cpu";        // cpu | cuda | cuda:N (model/model_loading.h parse_device)
};

struct EmbedResult {
  std::vector<std::string> ids;
  torch::Tensor pooled, shared;     // (N, D), (N, E) float32 (undefined when not asked)
  std::vector<std::string> files;   // written
  // Record files that could not be read or used: (path, reason). They get no row; the others
  // go on. Listed in STEM.failed.json when any.
  std::vector<std::pair<std::string, std::string>> failed;
  double encoder_seconds = 0;       // time in the encoder only
  double total_seconds = 0;         // inputs read + preprocessed + encoded
};

// One pass of the ECG encoder for both features: ecg (B, L, S) in [0, 1] →
// pooled (B, D) and shared (B, E) float32. Eval mode and no-grad expected.
void ecg_pooled_and_shared(CgDmer& model, const torch::Tensor& ecg, torch::Tensor* pooled,
                           torch::Tensor* shared, const std::vector<int>& leads = {});

// Runs the whole command (writes the files). Throws cgdmer::Error for bad input.
EmbedResult run_embed(const EmbedOptions& o);

// "--out" FILE → STEM (FILE without a trailing ".npy").
std::string npy_stem(const std::string& out);

}  // namespace cgdmer
