// Generic folder adapter: every WFDB / Challenge record (.hea, whatever its name) under the
// source folder, every .mat without a .hea (original CPSC MAT v5), every .edf (EDF/EDF+C),
// .dcm (DICOM ECG waveform), .scp (SCP-ECG) and .xml file (read_any_record picks GE MUSE,
// HL7 aECG or Philips by the root element; any other XML becomes a skip entry naming the
// reason), sorted by path. .csv files are not records here: the folder may hold the labels
// CSV, and a CSV ECG has no rate of its own.
// Optional --labels CSV: an id column ("id", "record" or else the first column) matching the
// record name, an optional "report"/"text" column (cleaned like every report), and any other
// columns as 0/1 labels of the label set "labels" (class = column name).
#include <filesystem>
#include <set>
#include <tuple>
#include <unordered_map>

#include "core/error.h"
#include "data/dataset.h"
#include "io/csv.h"
#include "text/report_cleaning.h"

namespace cgdmer {

namespace fs = std::filesystem;

DatasetPlan plan_folder(const PrepareOptions& o) {
  DatasetPlan plan;
  std::vector<std::string> files = find_files_with_suffix(o.src, ".hea");
  for (const auto& mat : find_files_with_suffix(o.src, ".mat"))
    if (!fs::exists(mat.substr(0, mat.size() - 4) + ".hea")) files.push_back(mat);
  for (const char* ext : {".edf", ".EDF", ".dcm", ".DCM", ".scp", ".SCP", ".xml", ".XML"})
    for (auto& f : find_files_with_suffix(o.src, ext)) files.push_back(std::move(f));
  std::sort(files.begin(), files.end());

  struct Row {
    std::string raw_report;
    std::vector<int> labels;
  };
  std::unordered_map<std::string, Row> rows;
  if (!o.labels_csv.empty()) {
    const CsvTable t = CsvTable::read(o.labels_csv);
    int c_id = 0, c_text = -1;
    for (const char* n : {"id", "record", "ecg_id"})
      if (t.has_column(n)) {
        c_id = t.column(n);
        break;
      }
    for (const char* n : {"report", "text"})
      if (t.has_column(n)) {
        c_text = t.column(n);
        break;
      }
    std::vector<int> label_cols;
    std::vector<std::string> classes;
    for (int c = 0; c < int(t.header().size()); ++c)
      if (c != c_id && c != c_text) {
        label_cols.push_back(c);
        classes.push_back(t.header()[std::size_t(c)]);
      }
    if (!classes.empty()) plan.label_sets["labels"] = classes;
    std::unordered_map<std::string, std::size_t> first_row;
    for (std::size_t r = 0; r < t.n_rows(); ++r) {
      Row row;
      if (c_text >= 0) row.raw_report = t.at(r, c_text);
      for (std::size_t k = 0; k < label_cols.size(); ++k) {
        const std::string& v = t.at(r, label_cols[k]);
        char* end = nullptr;
        const double x = std::strtod(v.c_str(), &end);
        if (v.empty() || *end != '\0')
          throw FormatError(o.labels_csv, "row " + std::to_string(r + 2) + ", column " + classes[k] +
                                              ": '" + v + "' is not a 0/1 label");
        if (x != 0) row.labels.push_back(int(k));
      }
      // A repeated id would silently replace an earlier row's report and labels.
      std::unordered_map<std::string, std::size_t>::iterator seen;
      bool fresh;
      std::tie(seen, fresh) = first_row.emplace(t.at(r, c_id), r);
      if (!fresh)
        throw FormatError(o.labels_csv, "duplicate id '" + t.at(r, c_id) + "' (rows " +
                                            std::to_string(seen->second + 2) + " and " +
                                            std::to_string(r + 2) + ")");
      rows[t.at(r, c_id)] = std::move(row);
    }
  }

  for (const auto& f : files) {
    DatasetItem it;
    it.id = stem_of(f);
    it.path = f;
    it.format = RecordFormat::kAny;
    auto r = rows.find(it.id);
    if (r != rows.end()) {
      set_report(it, r->second.raw_report);
      // A CSV of ids and reports only has no label set to fill (the store would name one it
      // does not declare, and could not be reopened).
      if (plan.label_sets.count("labels")) it.labels["labels"] = r->second.labels;
    }
    plan.items.push_back(std::move(it));
  }
  return plan;
}

}  // namespace cgdmer
