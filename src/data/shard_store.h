// Read side of the shard store that `cgdmer prepare` writes: a folder holding one
// memory-mapped file of fixed-size preprocessed records plus text, token ids, labels and
// metadata. The byte layout is documented in shard_store_format.h (the one place).
// All signals come out as float32 (n_leads, n_samples), normalised to [0, 1] (MERL), lead
// order I, II, III, aVR, aVF, aVL, V1–V6 (MIMIC-IV-ECG).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cgdmer {

struct StoreInfo {
  std::uint32_t version = 0;
  std::int64_t n_records = 0;
  int n_leads = 12;
  int n_samples = 0;  // per lead
  double fs = 0;      // Hz
  std::string dataset;             // "ptbxl", "mimic", "cpsc2018", "csn", "ludb", "folder"
  // The preprocessing settings text ("" when the store carries none) and its digest: FNV-1a-64
  // hex in version 2, the mistyped-basis digest in version 1 (shard_store_format.h).
  std::string preprocessing_settings;
  std::string preprocessing_hash;
  std::vector<std::string> lead_names;
  // Label sets carried by this store, e.g. {"super": [NORM, MI, ...], "sub": [...]}.
  std::map<std::string, std::vector<std::string>> label_sets;
  // The fingerprint of the tokenizer that made token_ids() (WordPieceTokenizer::fingerprint());
  // "" in stores written before it was recorded. data/report_tokens.h decides from it.
  std::string tokenizer;
  int max_text_len = 0;  // token ids are truncated to it (0: not said)
};

class ShardStore {
 public:
  // Opens STORE_DIR (format versions 1 and 2); refuses incomplete or foreign stores, and one
  // whose preprocessing hash does not match its settings, with FormatError naming the file.
  static ShardStore open(const std::string& dir);
  ShardStore(ShardStore&&) noexcept;
  ShardStore& operator=(ShardStore&&) noexcept;
  ~ShardStore();

  const StoreInfo& info() const;
  std::int64_t size() const { return info().n_records; }
  const std::string& dir() const;

  // Writes record i's signal to out[0 .. n_leads*n_samples), float32 in [0,1]. Thread-safe.
  void read_signal(std::int64_t i, float* out) const;
  const std::string& record_id(std::int64_t i) const;
  // Record i's duration in seconds before prepare cropped or padded it; 0 in stores written
  // before cgdmer recorded it.
  double record_seconds(std::int64_t i) const;
  const std::string& source_path(std::int64_t i) const;
  const std::string& report(std::int64_t i) const;  // cleaned report, "" if none
  // WordPiece ids with [CLS] ... [SEP] (MedCPT's unless prepare had --vocab; info().tokenizer
  // says which), truncated to the store's max text length. Empty when the report is.
  std::vector<std::int32_t> token_ids(std::int64_t i) const;
  int fold(std::int64_t i) const;  // PTB-XL strat_fold, or -1
  // Multi-hot labels of record i over info().label_sets.at(set); FormatError if no such set.
  std::vector<std::uint8_t> labels(std::int64_t i, const std::string& set) const;

 private:
  struct Impl;
  explicit ShardStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cgdmer
