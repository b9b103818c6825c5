// `cgdmer prepare` as a library call: dataset folder → shard store (shard_store_format.h).
// Streams with bounded memory (a window of in-flight records), reads + preprocesses on N
// worker threads, writes in source order from one thread, resumes an interrupted run with the
// same options, and writes summary.json (records_seen, records_written, skipped[{path,reason}]).
// A record that cannot be read or preprocessed is skipped with its message, never a crash.
#pragma once

#include <cstdint>
#include <string>

namespace cgdmer {

struct PrepareOptions {
  std::string dataset;  // ptbxl, mimic, cpsc2018, csn, ludb, folder
  std::string src;      // dataset root folder
  std::string out;      // store folder
  double rate = 500;    // Hz; PTB-XL: 100 reads records100/, 500 records500/; others resampled
  double seconds = 10;  // record length: rate·seconds samples per lead (crop / zero-pad)
  int jobs = 0;         // worker threads; 0 = all cores
  int max_text_len = 256;  // token ids kept per report ([CLS] ... [SEP])
  int min_words = 4;       // MIMIC: reports with fewer words are skipped (MERL: 4)
  // minmax: MERL's global min–max (SPEC §1); mv: each lead's voltage kept (data/preprocess.h).
  std::string norm = "minmax";
  bool cpsc_first_2500 = false;  // MERL's CPSC recipe: keep the first 5 s, zero-pad the rest
  bool csn_substring_labels = false;  // reproduce MERL's CSN `label in "A,B,C"` substring bug
  // cpsc2018: REFERENCE.csv (default <src>/REFERENCE.csv when present); csn: the
  // ConditionNames_SNOMED-CT.csv (default: found under src); folder: CSV of id → report/labels.
  std::string labels_csv;
  std::string vocab;     // WordPiece vocabulary; "" = bundled MedCPT vocabulary
  bool progress = true;  // progress line on stderr
  // Testing aid: stop (without committing) once this many records have been processed,
  // leaving exactly what an interrupted run leaves. -1 = run to the end.
  std::int64_t stop_after = -1;
};

struct PrepareSummary {
  std::string store_dir;
  bool complete = false;  // store committed (false only when stopped by stop_after)
  bool resumed = false;   // continued a previous interrupted run
  std::int64_t records_seen = 0, records_written = 0, records_skipped = 0;
  double seconds = 0;     // wall time of this run
  double records_per_s = 0;
};

// Throws ConfigError (bad options), IoError / FormatError (dataset metadata unreadable).
PrepareSummary prepare_dataset(const PrepareOptions& options);

}  // namespace cgdmer
