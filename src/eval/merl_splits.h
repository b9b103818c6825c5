// MERL's released downstream splits (MERL-ICML2024 finetune/data_split/, reference/peers.md
// §2b) applied to a shard store: which store records are a task's train / val / test, in the
// CSV's row order — the order MERL's 1 % / 10 % subsets are drawn over. Labels still come from
// the store (the dataset adapter's, correct); `--merl-bugs` reproduces MERL's label bugs on
// top, as for the store's own splits. Split files hold labels of held-out records, so they
// are not bundled: the user points at their copy of the folder.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/shard_store.h"

namespace cgdmer {

struct MerlTaskSplit {
  std::vector<std::int64_t> train, val, test;  // store rows, in CSV row order
  std::int64_t missing = 0;                    // CSV rows whose record is not in the store
  std::vector<std::string> missing_examples;   // up to 5 of their keys
  std::vector<std::string> files;              // train, val, test CSV paths
};

// The three CSVs of a task under split_dir, e.g. ptbxl_super →
// split_dir/ptbxl/super_class/ptbxl_super_class_{train,val,test}.csv, cpsc2018 →
// icbeb/icbeb_*.csv, csn → chapman/chapman_*.csv. ConfigError for a task MERL has no split of.
std::vector<std::string> merl_split_files(const std::string& split_dir, const std::string& task);

// The record key of each CSV row, as the store's record ids are made: PTB-XL `ecg_id`,
// ICBEB `filename` (A0001), CSN the file stem of `ecg_path` (JS00001).
std::vector<std::string> merl_split_keys(const std::string& csv_path);

// Reads the task's three CSVs (IoError / FormatError naming the file) and maps their rows to
// store rows; rows whose record the store lacks are counted in `missing`, not an error (a
// store may hold a subset); a record listed in two parts is a FormatError.
MerlTaskSplit merl_task_split(const std::string& split_dir, const std::string& task,
                              const ShardStore& store);

}  // namespace cgdmer
