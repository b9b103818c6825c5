// MERL split CSVs → store rows (see merl_splits.h).
#include "eval/merl_splits.h"

#include <filesystem>
#include <map>
#include <unordered_map>

#include "core/error.h"
#include "data/splits.h"

namespace cgdmer {
namespace {

namespace fs = std::filesystem;

int column_index(const std::vector<std::string>& header, const std::string& name) {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return int(i);
  return -1;
}

}  // namespace

std::vector<std::string> merl_split_files(const std::string& split_dir, const std::string& task) {
  static const std::map<std::string, std::string> kPrefix = {
      {"ptbxl_super", "ptbxl/super_class/ptbxl_super_class"},
      {"ptbxl_sub", "ptbxl/sub_class/ptbxl_sub_class"},
      {"ptbxl_form", "ptbxl/form/ptbxl_form"},
      {"ptbxl_rhythm", "ptbxl/rhythm/ptbxl_rhythm"},
      {"cpsc2018", "icbeb/icbeb"},
      {"csn", "chapman/chapman"},
  };
  const auto it = kPrefix.find(task);
  if (it == kPrefix.end())
    throw ConfigError("MERL's data_split has no files for task '" + task + "'",
                      "tasks with MERL splits: ptbxl_super, ptbxl_sub, ptbxl_form, ptbxl_rhythm, "
                      "cpsc2018, csn");
  std::vector<std::string> out;
  for (const char* part : {"train", "val", "test"})
    out.push_back((fs::path(split_dir) / (it->second + "_" + part + ".csv")).string());
  return out;
}

std::vector<std::string> merl_split_keys(const std::string& csv_path) {
  const SplitTable t = read_merl_split_csv(csv_path);  // also checks the label columns
  const auto& h = t.header;
  int c = -1;
  bool stem = false;
  if (column_index(h, "filename_hr") >= 0) c = column_index(h, "ecg_id");  // PTB-XL
  if (c < 0) c = column_index(h, "filename");                               // ICBEB
  if (c < 0 && (c = column_index(h, "ecg_path")) >= 0) stem = true;        // CSN
  if (c < 0)
    throw FormatError(csv_path, "no record key column: expected ecg_id + filename_hr (PTB-XL), "
                                "filename (ICBEB) or ecg_path (CSN) as in MERL's data_split");
  std::vector<std::string> keys;
  keys.reserve(t.rows.size());
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const std::string& v = t.rows[r][std::size_t(c)];  // rows have the header's width
    if (v.empty())
      throw FormatError(csv_path, "row " + std::to_string(r + 2) + " has no " + h[std::size_t(c)]);
    keys.push_back(stem ? fs::path(v).stem().string() : v);
  }
  return keys;
}

MerlTaskSplit merl_task_split(const std::string& split_dir, const std::string& task,
                              const ShardStore& store) {
  MerlTaskSplit s;
  s.files = merl_split_files(split_dir, task);
  std::unordered_map<std::string, std::int64_t> row_of;
  row_of.reserve(std::size_t(store.size()));
  for (std::int64_t i = 0; i < store.size(); ++i) row_of.emplace(store.record_id(i), i);
  std::unordered_map<std::int64_t, std::string> part_of;  // store row → file it came from
  for (const auto& f : s.files)  // all three present before any is read
    if (!fs::exists(f))
      throw IoError(f, "MERL split file missing (expected MERL's finetune/data_split layout)");
  std::vector<std::int64_t>* parts[3] = {&s.train, &s.val, &s.test};
  for (int p = 0; p < 3; ++p) {
    for (const auto& key : merl_split_keys(s.files[p])) {
      const auto it = row_of.find(key);
      if (it == row_of.end()) {
        ++s.missing;
        if (s.missing_examples.size() < 5) s.missing_examples.push_back(key);
        continue;
      }
      const auto [prev, fresh] = part_of.emplace(it->second, s.files[p]);
      if (!fresh)
        throw FormatError(s.files[p], "record '" + key + "' is also listed in " + prev->second);
      parts[p]->push_back(it->second);
    }
  }
  return s;
}

}  // namespace cgdmer
