// CSN (Chapman-Shaoxing-Ningbo, PhysioNet ecg-arrhythmia) adapter: every .hea under the
// source folder, sorted; #Dx SNOMED codes → acronyms via ConditionNames_SNOMED-CT.csv
// (AcronymName, FullName, Snomed_CT) → the 38 MERL classes by exact name. A record none of
// whose codes lands in the 38 classes is skipped with the codes in the reason (MERL drops
// such headers). --csn-substring-labels reproduces MERL's bug instead: class C is set when
// C is a substring of the comma-joined acronyms (so AFIB also sets AF, 1AVB sets AVB, ...).
#include <filesystem>
#include <memory>
#include <set>

#include "core/error.h"
#include "data/dataset.h"
#include "data/label_sets.h"
#include "io/csv.h"

namespace cgdmer {

namespace fs = std::filesystem;

DatasetPlan plan_csn(const PrepareOptions& o) {
  std::string names_path = o.labels_csv;
  if (names_path.empty()) {
    auto found = find_files_with_suffix(o.src, "ConditionNames_SNOMED-CT.csv");
    if (found.empty())
      throw ConfigError("csn: no ConditionNames_SNOMED-CT.csv under " + o.src,
                        "pass it with --labels (it ships with the PhysioNet ecg-arrhythmia dataset)");
    names_path = found.front();
  }
  const CsvTable t = CsvTable::read(names_path);
  // The file starts with a UTF-8 BOM in the official release: match columns by position.
  if (t.header().size() < 3) throw FormatError(names_path, "expected AcronymName,FullName,Snomed_CT columns");
  auto acronym = std::make_shared<std::map<std::string, std::string>>();
  for (std::size_t r = 0; r < t.n_rows(); ++r) (*acronym)[t.at(r, 2)] = t.at(r, 0);

  DatasetPlan plan;
  plan.label_sets = {{"csn", csn_classes()}};
  for (const auto& hea : find_files_with_suffix(o.src, ".hea")) {
    DatasetItem it;
    it.id = stem_of(hea);
    it.path = hea;
    it.format = RecordFormat::kWfdb;
    plan.items.push_back(std::move(it));
  }
  const bool substring = o.csn_substring_labels;
  plan.from_record = [acronym, substring](const EcgRecord& rec, DatasetItem& it) {
    const std::string dx = rec.comment_value("Dx");
    std::vector<std::string> names;
    for (const auto& code : split_list(dx)) {
      auto a = acronym->find(code);
      if (a != acronym->end()) names.push_back(a->second);
    }
    std::set<int> idx;
    if (substring) {
      std::string joined;
      for (const auto& n : names) joined += (joined.empty() ? "" : ",") + n;
      for (std::size_t k = 0; k < csn_classes().size(); ++k)
        if (!joined.empty() && joined.find(csn_classes()[k]) != std::string::npos) idx.insert(int(k));
    } else {
      for (const auto& n : names) {
        const int k = class_index(csn_classes(), n);
        if (k >= 0) idx.insert(k);
      }
    }
    if (idx.empty())
      throw SkipRecord("no #Dx code maps to the 38 CSN classes (Dx: " + (dx.empty() ? "none" : dx) + ")");
    it.labels["csn"] = std::vector<int>(idx.begin(), idx.end());
  };
  return plan;
}

}  // namespace cgdmer
