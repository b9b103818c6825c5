// MIMIC-IV-ECG adapter (MERL pretrain/preprocess.ipynb, reference/peers.md §2a):
// record_list.csv (subject_id, study_id, path) joined on study_id with
// machine_measurements.csv (report_0 .. report_17); report = clean_report(non-empty parts
// joined with ". "); reports with fewer than --min-words words are skipped with that reason.
// Records are listed in record_list.csv order; WFDB paths are relative to the source folder.
#include <filesystem>
#include <unordered_map>

#include "core/error.h"
#include "data/dataset.h"
#include "io/csv.h"
#include "text/report_cleaning.h"

namespace cgdmer {

namespace fs = std::filesystem;

DatasetPlan plan_mimic(const PrepareOptions& o) {
  const fs::path root(o.src);
  const CsvTable records = CsvTable::read((root / "record_list.csv").string());
  const CsvTable mm = CsvTable::read((root / "machine_measurements.csv").string());

  std::vector<int> report_cols;
  for (int k = 0; k < 18; ++k) {
    const std::string name = "report_" + std::to_string(k);
    if (mm.has_column(name)) report_cols.push_back(mm.column(name));
  }
  if (report_cols.empty())
    throw FormatError(mm.path(), "no report_0 .. report_17 columns", "is this MIMIC-IV-ECG's machine_measurements.csv?");
  const int mm_study = mm.column("study_id");
  std::unordered_map<std::string, std::size_t> report_row;  // study_id → row
  for (std::size_t r = 0; r < mm.n_rows(); ++r) report_row.emplace(mm.at(r, mm_study), r);

  DatasetPlan plan;
  const int c_study = records.column("study_id"), c_path = records.column("path");
  for (std::size_t r = 0; r < records.n_rows(); ++r) {
    DatasetItem it;
    it.id = records.at(r, c_study);
    it.path = (root / records.at(r, c_path)).string() + ".hea";
    it.format = RecordFormat::kWfdb;
    auto m = report_row.find(it.id);
    if (m == report_row.end()) {
      it.skip_reason = "study_id " + it.id + " has no row in machine_measurements.csv";
    } else {
      std::vector<std::string> parts;
      for (int c : report_cols) parts.push_back(mm.at(m->second, c));
      const int words = set_report(it, join_report_parts(parts)) ? count_words(it.report) : o.min_words;
      if (words < o.min_words)
        it.skip_reason = "report has " + std::to_string(words) + " word(s), fewer than --min-words " +
                         std::to_string(o.min_words);
    }
    if (it.skip_reason.empty() && !fs::exists(it.path)) it.skip_reason = "file not found";
    plan.items.push_back(std::move(it));
  }
  return plan;
}

}  // namespace cgdmer
