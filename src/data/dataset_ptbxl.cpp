// PTB-XL adapter: ptbxl_database.csv + scp_statements.csv → records (100 Hz: filename_lr,
// otherwise filename_hr), strat_fold, cleaned `report`, and the four MERL label sets derived
// the way PTB-XL's benchmark code (and so MERL's split CSVs) does it:
//   super  = diagnostic_class    of every scp_codes key with diagnostic == 1
//   sub    = diagnostic_subclass of the same keys, underscores stripped (ISC_ → ISC)
//   form   = keys with form == 1 (underscores stripped: NST_ → NST)
//   rhythm = keys with rhythm == 1
// A code counts whenever it is a key of scp_codes, whatever its likelihood (also 0.0): that is
// what the benchmark's aggregate_* functions do (`for key in y_dic.keys()`).
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <regex>
#include <set>

#include "core/error.h"
#include "data/csv_row_index.h"
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

int column_of(const std::vector<std::string>& header, const std::string& name, const std::string& path) {
  for (std::size_t c = 0; c < header.size(); ++c)
    if (header[c] == name) return int(c);
  throw FormatError(path, "no column named '" + name + "'");
}

// Two rows with one ecg_id would be two records with one id: refuse them, naming both rows
// (physical lines when no field spans lines) — the first repeat in file order. Rows are
// compared by id hash, and equal hashes re-read to compare the ids themselves.
void refuse_duplicate_ids(const CsvRowIndex& db, int c_id,
                          std::vector<std::pair<std::uint64_t, std::size_t>> hashes) {
  std::sort(hashes.begin(), hashes.end());
  std::size_t best_first = 0, best_repeat = SIZE_MAX;
  std::string best_id;
  for (std::size_t b = 0; b < hashes.size();) {
    std::size_t e = b + 1;
    while (e < hashes.size() && hashes[e].first == hashes[b].first) ++e;
    if (e - b > 1) {  // rows [b, e) share a hash, in row order
      std::vector<std::string> ids;
      for (std::size_t i = b; i < e; ++i) ids.push_back(db.row(hashes[i].second)[std::size_t(c_id)]);
      for (std::size_t i = 1; i < ids.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
          if (ids[j] == ids[i] && hashes[b + i].second < best_repeat) {
            best_first = hashes[b + j].second;
            best_repeat = hashes[b + i].second;
            best_id = ids[i];
            break;
          }
    }
    b = e;
  }
  if (best_repeat != SIZE_MAX)
    throw FormatError(db.path(), "duplicate ecg_id '" + best_id + "' (rows " + std::to_string(best_first + 2) +
                                     " and " + std::to_string(best_repeat + 2) + ")");
}

}  // namespace

DatasetPlan plan_ptbxl(const PrepareOptions& o) {
  const fs::path root(o.src);
  const CsvTable scp = CsvTable::read((root / "scp_statements.csv").string());

  // Shared, read-only, by the lazy item builder on the worker threads.
  auto statements = std::make_shared<std::map<std::string, ScpStatement>>();
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
      (*statements)[scp.at(r, 0)] = st;  // first column: the statement code (unnamed)
    }
  }

  DatasetPlan plan;
  plan.label_sets = {{"super", ptbxl_super_classes()},
                     {"sub", ptbxl_sub_classes()},
                     {"form", ptbxl_form_classes()},
                     {"rhythm", ptbxl_rhythm_classes()}};
  const bool low = o.rate == 100;

  // ptbxl_database.csv stays on disk: one pass indexes its rows (12 bytes each) and checks
  // the ids; each record's row is read again when a worker needs it. Holding the parsed table
  // and a DatasetItem per row instead cost ~2 kB per record of peak RSS (+100 MB at 50,000
  // records, bench_data_pipeline --rss-sweep).
  const std::string db_path = (root / "ptbxl_database.csv").string();
  std::vector<std::pair<std::uint64_t, std::size_t>> id_hashes;  // (hash of ecg_id, row)
  int c_id = -1;
  auto db = std::make_shared<CsvRowIndex>(
      db_path, [&](const std::vector<std::string>& header, std::size_t r, const std::vector<std::string>& f) {
        if (c_id < 0) c_id = column_of(header, "ecg_id", db_path);
        id_hashes.emplace_back(std::hash<std::string>{}(f[std::size_t(c_id)]), r);
      });
  c_id = db->column("ecg_id");
  const int c_fold = db->column("strat_fold"), c_rep = db->column("report");
  const int c_codes = db->column("scp_codes"), c_file = db->column(low ? "filename_lr" : "filename_hr");
  refuse_duplicate_ids(*db, c_id, std::move(id_hashes));

  plan.n_lazy = std::int64_t(db->n_rows());
  plan.lazy_item = [db, statements, root, c_id, c_fold, c_rep, c_codes, c_file](std::int64_t k) {
    const std::vector<std::string> row = db->row(std::size_t(k));
    DatasetItem it;
    it.id = row[c_id];
    it.path = (root / row[c_file]).string() + ".hea";
    it.format = RecordFormat::kWfdb;
    it.fold = std::atoi(row[c_fold].c_str());
    if (it.fold == 0) it.fold = -1;
    set_report(it, row[c_rep]);
    std::map<std::string, std::set<int>> lab;
    for (const auto& code : dict_keys(row[c_codes])) {
      auto st = statements->find(code);
      if (st == statements->end()) continue;  // not a known statement: no label
      const ScpStatement& s = st->second;
      auto add = [&](const char* set, const std::vector<std::string>& classes, const std::string& name) {
        const int i = class_index(classes, name);
        if (i >= 0) lab[set].insert(i);
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
    return it;
  };
  return plan;
}

}  // namespace cgdmer
