// PTB-XL adapter: ptbxl_database.csv + scp_statements.csv → records (100 Hz: filename_lr,
// otherwise filename_hr), strat_fold, cleaned `report`, and the four MERL label sets derived
// the way PTB-XL's benchmark code (and so MERL's split CSVs) does it:
//   super  = diagnostic_class    of every scp_codes key with diagnostic == 1
//   sub    = diagnostic_subclass of the same keys, underscores stripped (ISC_ → ISC)
//   form   = keys with form == 1 (underscores stripped: NST_ → NST)
//   rhythm = keys with rhythm == 1
// A code counts whenever it is a key of scp_codes, whatever its likelihood (also 0.0): that is
// what the benchmark's aggregate_* functions do (`for key in y_dic.keys()`).
#include <filesystem>
#include <regex>
#include <set>

#include "core/error.h"
#include "data/dataset.h"
#include "data/label_sets.h"
#include "io/csv.h"
#include "text/report_cleaning.h"

namespace cgdmer {

namespace fs = std::filesystem;

namespace {

struct ScpStatement {
  bool diagnostic = false, form = false, rhythm = false;
  std::string diagnostic_class, diagnostic_subclass;
};

bool is_one(const std::string& v) {
  return !v.empty() && std::strtod(v.c_str(), nullptr) == 1.0;
}

// Keys of a Python dict literal such as "{'NORM': 100.0, 'PRC(S)': 0.0}".
std::vector<std::string> dict_keys(const std::string& s) {
  static const std::regex key(R"('([^']*)'\s*:)");
  std::vector<std::string> out;
  for (std::sregex_iterator it(s.begin(), s.end(), key), end; it != end; ++it) out.push_back((*it)[1]);
  return out;
}

}  // namespace

DatasetPlan plan_ptbxl(const PrepareOptions& o) {
  const fs::path root(o.src);
  const CsvTable db = CsvTable::read((root / "ptbxl_database.csv").string());
  const CsvTable scp = CsvTable::read((root / "scp_statements.csv").string());

  std::map<std::string, ScpStatement> statements;
  {
    const int c_diag = scp.column("diagnostic"), c_form = scp.column("form"), c_rhy = scp.column("rhythm");
    const int c_class = scp.column("diagnostic_class"), c_sub = scp.column("diagnostic_subclass");
    for (std::size_t r = 0; r < scp.n_rows(); ++r) {
      ScpStatement st;
      st.diagnostic = is_one(scp.at(r, c_diag));
      st.form = is_one(scp.at(r, c_form));
      st.rhythm = is_one(scp.at(r, c_rhy));
      st.diagnostic_class = scp.at(r, c_class);
      st.diagnostic_subclass = strip_underscores(scp.at(r, c_sub));
      statements[scp.at(r, 0)] = st;  // first column: the statement code (unnamed)
    }
  }

  DatasetPlan plan;
  plan.label_sets = {{"super", ptbxl_super_classes()},
                     {"sub", ptbxl_sub_classes()},
                     {"form", ptbxl_form_classes()},
                     {"rhythm", ptbxl_rhythm_classes()}};
  const bool low = o.rate == 100;
  const int c_id = db.column("ecg_id"), c_fold = db.column("strat_fold"), c_rep = db.column("report");
  const int c_codes = db.column("scp_codes"), c_file = db.column(low ? "filename_lr" : "filename_hr");
  std::unordered_map<std::string, std::size_t> first_row;  // ecg_id → CSV row, to refuse repeats
  for (std::size_t r = 0; r < db.n_rows(); ++r) {
    auto [seen, fresh] = first_row.emplace(db.at(r, c_id), r);
    if (!fresh)
      throw FormatError(db.path(), "duplicate ecg_id '" + db.at(r, c_id) + "' (rows " +
                                       std::to_string(seen->second + 2) + " and " +
                                       std::to_string(r + 2) + ")");
    DatasetItem it;
    it.id = db.at(r, c_id);
    it.path = (root / db.at(r, c_file)).string() + ".hea";
    it.format = RecordFormat::kWfdb;
    it.fold = std::atoi(db.at(r, c_fold).c_str());
    if (it.fold == 0) it.fold = -1;
    set_report(it, db.at(r, c_rep));
    std::map<std::string, std::set<int>> lab;
    for (const auto& code : dict_keys(db.at(r, c_codes))) {
      auto st = statements.find(code);
      if (st == statements.end()) continue;  // not a known statement: no label
      const ScpStatement& s = st->second;
      auto add = [&](const char* set, const std::vector<std::string>& classes, const std::string& name) {
        const int k = class_index(classes, name);
        if (k >= 0) lab[set].insert(k);
      };
      if (s.diagnostic) {
        add("super", ptbxl_super_classes(), s.diagnostic_class);
        add("sub", ptbxl_sub_classes(), s.diagnostic_subclass);
      }
      if (s.form) add("form", ptbxl_form_classes(), strip_underscores(code));
      if (s.rhythm) add("rhythm", ptbxl_rhythm_classes(), code);
    }
    for (auto& [set, idx] : lab) it.labels[set] = std::vector<int>(idx.begin(), idx.end());
    if (it.skip_reason.empty() && !fs::exists(it.path)) it.skip_reason = "file not found";
    plan.items.push_back(std::move(it));
  }
  return plan;
}

}  // namespace cgdmer
