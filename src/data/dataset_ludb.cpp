// LUDB adapter: every .hea under the source folder (LUDB keeps them in data/), sorted by
// record number; the report is the header's diagnoses (the comment lines after
// "<diagnoses>:"), joined with spaces and cleaned like every other report. LUDB carries no
// folds; its ludb.csv categories are not turned into label sets (free-text categories).
#include <algorithm>
#include <filesystem>

#include "data/dataset.h"
#include "text/report_cleaning.h"

namespace cgdmer {

namespace fs = std::filesystem;

DatasetPlan plan_ludb(const PrepareOptions& o) {
  DatasetPlan plan;
  auto files = find_files_with_suffix(o.src, ".hea");
  // LUDB names records 1..200: numeric order reads better than "1, 10, 100, 101".
  std::stable_sort(files.begin(), files.end(), [](const std::string& a, const std::string& b) {
    const std::string sa = stem_of(a), sb = stem_of(b);
    const bool na = !sa.empty() && std::all_of(sa.begin(), sa.end(), ::isdigit);
    const bool nb = !sb.empty() && std::all_of(sb.begin(), sb.end(), ::isdigit);
    if (na && nb && fs::path(a).parent_path() == fs::path(b).parent_path())
      return std::stoll(sa) < std::stoll(sb);
    return a < b;
  });
  for (const auto& hea : files) {
    DatasetItem it;
    it.id = stem_of(hea);
    it.path = hea;
    plan.items.push_back(std::move(it));
  }
  plan.from_record = [](const EcgRecord& rec, DatasetItem& it) {
    std::string text;
    bool in_dx = false;
    for (const auto& c : rec.comments) {
      std::string line = c;
      line.erase(0, line.find_first_not_of(" \t"));
      if (line.rfind("<diagnoses>", 0) == 0) {
        in_dx = true;
        continue;
      }
      if (!in_dx || line.empty()) continue;
      if (line[0] == '<') break;  // another <field>
      text += (text.empty() ? "" : " ") + line;
    }
    if (!set_report(it, text)) throw SkipRecord(it.skip_reason);
  };
  return plan;
}

}  // namespace cgdmer
