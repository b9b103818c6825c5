// What `prepare` needs from a dataset: the ordered list of records (file, id, fold, report,
// labels), the label sets, and an optional per-record hook that derives labels/text from
// the header once the record is read (CSN/Challenge #Dx, LUDB diagnoses). One adapter per
// dataset lives in dataset_<name>.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/prepare.h"
#include "io/ecg_record.h"

namespace cgdmer {

enum class RecordFormat {
  kWfdb,     // .hea (+ .dat / Challenge .mat)
  kCpscMat,  // original CPSC 2018 MAT v5
  kAny,      // read_any_record decides
};

struct DatasetItem {
  std::string id;
  std::string path;  // file handed to the reader
  RecordFormat format = RecordFormat::kWfdb;
  int fold = -1;
  std::string report;                              // cleaned report text, "" = none
  std::map<std::string, std::vector<int>> labels;  // set → positive class indices
  std::string skip_reason;  // set at listing time (e.g. "file not found"): not read at all
};

// A reason to skip one record that the hook found (message = the reason).
class SkipRecord : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DatasetPlan {
  std::map<std::string, std::vector<std::string>> label_sets;
  std::vector<DatasetItem> items;  // in store order (deterministic: resume relies on it)
  // Instead of `items`, for metadata too large to hold per record (PTB-XL's CSV at 50,000+
  // rows): n_lazy items built on demand by lazy_item(k), from worker threads, so it must be
  // thread-safe. prepare's memory then stays flat in the number of records.
  std::int64_t n_lazy = 0;
  std::function<DatasetItem(std::int64_t)> lazy_item;
  // Called on a worker thread after the record was read; may fill item labels/report, or
  // throw SkipRecord / FormatError. Must be thread-safe (read-only shared state).
  std::function<void(const EcgRecord&, DatasetItem&)> from_record;
  // Adjusts preprocessing per dataset (CPSC: keep the first 5 s). 0 = not used.
  double keep_seconds = 0;

  std::int64_t size() const { return lazy_item ? n_lazy : std::int64_t(items.size()); }
  DatasetItem item(std::int64_t k) const { return lazy_item ? lazy_item(k) : items[std::size_t(k)]; }
};

DatasetPlan plan_ptbxl(const PrepareOptions& o);
DatasetPlan plan_mimic(const PrepareOptions& o);
DatasetPlan plan_cpsc2018(const PrepareOptions& o);
DatasetPlan plan_csn(const PrepareOptions& o);
DatasetPlan plan_ludb(const PrepareOptions& o);
DatasetPlan plan_folder(const PrepareOptions& o);
// Dispatch on o.dataset; ConfigError for an unknown name.
DatasetPlan plan_dataset(const PrepareOptions& o);

// Shared helpers for adapters.
// All files under `root` whose name ends with `suffix`, sorted by path (deterministic order).
std::vector<std::string> find_files_with_suffix(const std::string& root, const std::string& suffix);
// Record name = file name without its final extension.
std::string stem_of(const std::string& path);
// it.report = clean_report(raw), or it.skip_reason when raw is not valid UTF-8 (cleaning
// would hide that by substituting U+FFFD). Returns whether the text was usable.
bool set_report(DatasetItem& it, const std::string& raw);
// Splits "a,b, c" on commas, trimming spaces; empty parts dropped.
std::vector<std::string> split_list(const std::string& s, char sep = ',');

}  // namespace cgdmer
