// CPSC 2018 adapter: every .mat under the source folder, sorted. With a .hea beside it the
// record is in PhysioNet Challenge format and its labels come from the #Dx SNOMED codes;
// otherwise it is an original CPSC MAT v5 file labelled from REFERENCE.csv (Recording,
// First_label, Second_label, Third_label; 1..9 → {NORM, AFIB, 1AVB, CLBBB, CRBBB, PAC, VPC,
// STD, STE}). A record without any label is kept (labels empty). --cpsc-first-2500 applies
// MERL's recipe: keep the first 5 s (2500 samples at 500 Hz) and zero-pad to the full length.
#include <filesystem>
#include <memory>
#include <set>

#include "core/error.h"
#include "data/dataset.h"
#include "data/label_sets.h"
#include "io/csv.h"

namespace cgdmer {

namespace fs = std::filesystem;

DatasetPlan plan_cpsc2018(const PrepareOptions& o) {
  DatasetPlan plan;
  plan.label_sets = {{"cpsc", cpsc_classes()}};
  if (o.cpsc_first_2500) plan.keep_seconds = 5.0;

  std::map<std::string, std::vector<int>> reference;  // record → class indices
  std::string ref_path = o.labels_csv;
  if (ref_path.empty() && fs::exists(fs::path(o.src) / "REFERENCE.csv"))
    ref_path = (fs::path(o.src) / "REFERENCE.csv").string();
  if (!ref_path.empty()) {
    const CsvTable t = CsvTable::read(ref_path);
    for (std::size_t r = 0; r < t.n_rows(); ++r) {
      std::set<int> idx;
      for (std::size_t c = 1; c < t.row(r).size(); ++c) {
        const std::string& v = t.at(r, int(c));
        if (v.empty()) continue;
        const std::string name = cpsc_class_of_reference_label(std::atoi(v.c_str()));
        if (name.empty())
          throw FormatError(ref_path, "row " + std::to_string(r + 2) + ": label '" + v + "' is not 1..9");
        idx.insert(class_index(cpsc_classes(), name));
      }
      reference[t.at(r, 0)] = std::vector<int>(idx.begin(), idx.end());
    }
  }

  for (const auto& mat : find_files_with_suffix(o.src, ".mat")) {
    DatasetItem it;
    it.id = stem_of(mat);
    const std::string hea = mat.substr(0, mat.size() - 4) + ".hea";
    if (fs::exists(hea)) {
      it.path = hea;
      it.format = RecordFormat::kWfdb;
    } else {
      it.path = mat;
      it.format = RecordFormat::kCpscMat;
      auto ref = reference.find(it.id);
      if (ref != reference.end()) it.labels["cpsc"] = ref->second;
    }
    plan.items.push_back(std::move(it));
  }
  plan.from_record = [](const EcgRecord& rec, DatasetItem& it) {
    if (it.format != RecordFormat::kWfdb) return;
    std::set<int> idx;
    for (const auto& code : split_list(rec.comment_value("Dx"))) {
      const std::string name = cpsc_class_of_snomed(code);
      if (!name.empty()) idx.insert(class_index(cpsc_classes(), name));
    }
    it.labels["cpsc"] = std::vector<int>(idx.begin(), idx.end());
  };
  return plan;
}

}  // namespace cgdmer
