// Write side of the shard store (layout in shard_store_format.h): appends preprocessed
// records and skip entries in source order to partial files, can reopen them after an
// interruption, and commits the store by writing store.json last (atomic rename), so a
// folder never looks complete before it is.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace cgdmer {

struct StoreLayout {
  std::string dataset;
  int n_leads = 12;
  int n_samples = 5000;  // per lead
  double fs = 500;       // Hz
  // PreprocessOptions::settings_text(), and its FNV-1a-64 hex (settings_digest()). With
  // settings given, the hash must be that digest (ConfigError otherwise); with none (tests'
  // synthetic stores), the hash is free-form text.
  std::string preprocessing_settings;
  std::string preprocessing_hash;
  std::vector<std::string> lead_names;
  std::map<std::string, std::vector<std::string>> label_sets;
  int max_text_len = 256;
  // WordPieceTokenizer::fingerprint() of the tokenizer that made the records' token ids
  // ("" = not said; stores' readers then tokenize the report text themselves).
  std::string tokenizer;
};

struct StoreRecordMeta {
  std::string id, path;
  int fold = -1;
  std::string report;
  std::vector<std::int32_t> tokens;
  std::map<std::string, std::vector<int>> labels;  // set → indices of positive classes
  double seconds = 0;  // the record's duration before crop/pad (0 = not recorded)
};

struct SkipEntry {
  std::string path, reason;
};

class ShardWriter {
 public:
  // Starts an empty store in `dir` (created if needed). A committed store.json already there
  // is removed first, so the folder stops looking complete before anything changes.
  static ShardWriter create(const std::string& dir, const StoreLayout& layout);
  // Reopens the partial files left by an interrupted run with the same layout: drops a torn
  // last line and any signal bytes without a metadata line, and continues after them.
  static ShardWriter resume(const std::string& dir, const StoreLayout& layout);
  ShardWriter(ShardWriter&&) noexcept;
  ShardWriter& operator=(ShardWriter&&) = delete;
  ~ShardWriter();

  // One record: (n_leads, n_samples) values in [0,1]; `q` variant takes the stored int16.
  void append(const float* signal, const StoreRecordMeta& meta);
  void append_quantized(const std::int16_t* q, const StoreRecordMeta& meta);
  void skip(const std::string& path, const std::string& reason);
  void flush();  // makes everything appended so far survive a kill

  std::int64_t n_processed() const { return n_processed_; }  // written + skipped
  std::int64_t n_written() const { return n_written_; }
  const std::vector<SkipEntry>& skipped() const { return skipped_; }

  // Finishes the store: signals.bin, meta.jsonl, summary.json (with `summary_extra` merged in,
  // a JSON object text), then store.json; removes the partial files.
  void commit(const std::string& summary_extra_json = "{}");

 private:
  ShardWriter(std::string dir, StoreLayout layout);
  void open_files(bool fresh);
  // Writes the final header (n_records) into signals.bin.partial, syncs it, closes both partial
  // files and renames it to signals.bin; returns its size in bytes.
  std::uint64_t finish_signals();

  std::string dir_;
  StoreLayout layout_;
  std::size_t record_values_ = 0;
  std::FILE* sig_ = nullptr;
  std::FILE* rec_ = nullptr;
  std::int64_t n_processed_ = 0, n_written_ = 0;
  std::vector<SkipEntry> skipped_;
  std::vector<std::int16_t> qbuf_;
};

}  // namespace cgdmer
