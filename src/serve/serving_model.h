// Loading a trained model and turning single ECG files into model input, for the serving
// commands (embed, classify, retrieve, export). Every user mistake becomes a cgdmer::Error
// with a one-line reason naming the file and a hint: a missing model, a file that is not a
// checkpoint, a record the readers do not know, a store prepared for another model shape.
// Single records are preprocessed exactly as `cgdmer prepare` stores them for the model's
// config (a record with only some of the leads: those leads alone, see PreparedRecord): MIMIC
// lead order, NaN fill, resampled to rate = n_samples / 10 s (prepare's default
// --seconds 10), crop/pad to n_samples, global min–max to [0, 1], then rounded to the store's
// int16 grid (1/32767), so a file and its store row give bit-identical input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "data/preprocess.h"
#include "data/shard_store.h"
#include "io/ecg_readers.h"
#include "model/cgdmer_model.h"
#include "model/classifier_head.h"

namespace cgdmer {

// Seconds of ECG the model sees (prepare's --seconds default); rate = n_samples / this.
inline constexpr double kServeRecordSeconds = 10.0;

// A checkpoint file or a run folder → model (eval mode), its resolved config and its
// preprocessing contract: the settings text of the store it was trained on
// (data/preprocess_contract.h), "" for a checkpoint written before cgdmer recorded it. A
// classifier model (`cgdmer finetune`) also gives its head; `head_out` stays empty otherwise.
CgDmer load_serving_model(const std::string& ckpt_or_run_dir, Config* cfg_out,
                          std::string* contract_out = nullptr,
                          std::optional<ClassifierHead>* head_out = nullptr);

// The chain a record goes through for this model: its contract when it has one (ConfigError
// if the contract's window contradicts the config), else the chain `prepare` uses for stores of
// this model's input shape.
PreprocessOptions serve_preprocess_options(const Config& cfg, const std::string& contract = "");
double serve_rate_hz(const Config& cfg);

struct PreparedRecord {
  std::string id;           // record name from the file
  std::string path;
  std::vector<float> data;  // (n_leads, n_samples) float32 in [0, 1]; absent leads' rows 0
  // The leads the record holds, as indices in the model's lead order (ascending); empty when
  // it holds all of them. A 1-, 2- or 6-lead record is encoded on these leads' tokens only
  // (CgDmer::ecg_features), not as a zero-filled 12-lead input.
  std::vector<int> leads;
  std::vector<std::string> lead_names() const;  // of `leads` (every lead when empty)
  double start_seconds = 0;  // where this window starts in the record (0: the record's start)
};
// `read`: reader options (a .csv record needs its rate: read.csv_fs).
PreparedRecord prepare_record_for_model(const std::string& path, const Config& cfg,
                                        const std::string& contract = "",
                                        const RecordReadOptions& read = {});

// Records of any length. The model sees windows of n_samples / fs seconds (tiny: 10 s). A
// record no longer than that is one window (zero-padded, as `prepare` stores it); a longer one
// is cut into windows starting every `stride_seconds` (0 = the window length: no overlap), plus
// one window that ends where the record ends, so that every sample is seen. Each window goes
// through the contract's chain on its own (min–max over that window). `first_only` keeps the
// first window alone (what `prepare` crops to).
struct WindowOptions {
  double stride_seconds = 0;
  bool first_only = false;
};
std::vector<PreparedRecord> prepare_record_windows(const std::string& path, const Config& cfg,
                                                   const std::string& contract,
                                                   const WindowOptions& w,
                                                   const RecordReadOptions& read = {});
// (window_starts, the rule above, is in data/preprocess.h.)

// Opens a store and checks its records have the model's shape and rate, and — when the model
// has a contract — that the store was prepared the same way: a store whose lead order, rate,
// window, normalisation or resampler differs is refused with a ConfigError naming each field;
// a different keep/fill recipe only warns.
ShardStore open_store_for_model(const std::string& dir, const Config& cfg,
                                const std::string& contract = "");

// True when `dir` is a shard store folder (has store.json).
bool is_store_dir(const std::string& dir);

// Record files under a folder, recursively, sorted: every .hea, every .mat that has no .hea
// beside it (CPSC 2018 MAT v5), and every .xml, .edf, .dcm and .scp (clinical formats).
std::vector<std::string> find_record_files(const std::string& dir);

}  // namespace cgdmer
