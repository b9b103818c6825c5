// Implements label_csv.h.
#include "eval/label_csv.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

#include "core/error.h"
#include "io/csv.h"

namespace cgdmer {
namespace {

std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\r") - a + 1);
}

std::vector<std::string> split_names(const std::string& cell) {
  std::vector<std::string> out;
  std::stringstream ss(cell);
  std::string x;
  while (std::getline(ss, x, ';'))
    if (!trim(x).empty()) out.push_back(trim(x));
  return out;
}

torch::Tensor to_tensor(const std::vector<std::vector<std::uint8_t>>& y, std::size_t C) {
  auto t = torch::zeros({std::int64_t(y.size()), std::int64_t(C)}, torch::kFloat32);
  for (std::size_t r = 0; r < y.size(); ++r)
    for (std::size_t c = 0; c < C; ++c) t.data_ptr<float>()[r * C + c] = y[r][c];
  return t;
}

}  // namespace

LabelTable read_label_csv(const std::string& path, const ShardStore& store, const SplitRules& rules) {
  const CsvTable csv = CsvTable::read(path);
  if (!csv.has_column("id"))
    throw FormatError(path, "label CSV has no 'id' column",
                      "the header needs id (the store's record id), optional split, and a 'labels' "
                      "column or one 0/1 column per class");
  const int id_col = csv.column("id");
  const int split_col = csv.has_column("split") ? csv.column("split") : -1;
  const int names_col = csv.has_column("labels") ? csv.column("labels") : -1;
  std::vector<int> class_cols;
  LabelTable t;
  if (names_col < 0) {
    for (int c = 0; c < int(csv.header().size()); ++c)
      if (c != id_col && c != split_col) class_cols.push_back(c), t.classes.push_back(csv.header()[std::size_t(c)]);
    if (t.classes.empty())
      throw FormatError(path, "label CSV has no class column", "add a 'labels' column or 0/1 columns");
  } else {
    std::set<std::string> names;
    for (std::size_t r = 0; r < csv.n_rows(); ++r)
      for (const auto& n : split_names(csv.at(r, names_col))) names.insert(n);
    if (names.empty()) throw FormatError(path, "the 'labels' column names no class in any row");
    t.classes.assign(names.begin(), names.end());
  }
  std::unordered_map<std::string, std::int64_t> row_of_id;
  for (std::int64_t i = 0; i < store.size(); ++i) row_of_id.emplace(store.record_id(i), i);
  bool store_has_folds = false;
  for (std::int64_t i = 0; i < store.size() && !store_has_folds; ++i) store_has_folds = store.fold(i) > 0;
  if (split_col < 0 && !store_has_folds)
    throw FormatError(path, "label CSV has no 'split' column and the store " + store.dir() + " has no folds",
                      "add a split column (train / val / test)");

  std::vector<std::vector<std::uint8_t>> y_train, y_val, y_test;
  std::vector<std::string> unknown;
  std::set<std::string> seen;
  for (std::size_t r = 0; r < csv.n_rows(); ++r) {
    const std::string where = "row " + std::to_string(r + 2);  // 1-based, after the header
    const std::string id = trim(csv.at(r, id_col));
    if (!seen.insert(id).second) throw FormatError(path, where + ": id '" + id + "' appears twice");
    const auto it = row_of_id.find(id);
    if (it == row_of_id.end()) {
      unknown.push_back(id);
      continue;
    }
    std::vector<std::uint8_t> y(t.classes.size(), 0);
    if (names_col >= 0) {
      for (const auto& n : split_names(csv.at(r, names_col)))
        y[std::size_t(std::lower_bound(t.classes.begin(), t.classes.end(), n) - t.classes.begin())] = 1;
    } else {
      for (std::size_t c = 0; c < class_cols.size(); ++c) {
        const std::string v = trim(csv.at(r, class_cols[c]));
        if (v != "0" && v != "1")
          throw FormatError(path, where + ", column " + t.classes[c] + ": '" + v + "' is not 0 or 1");
        y[c] = v == "1";
      }
    }
    std::string part;
    if (split_col >= 0) {
      part = trim(csv.at(r, split_col));
      if (part == "validation") part = "val";
      if (part != "train" && part != "val" && part != "test")
        throw FormatError(path, where + ": split '" + part + "' is not train, val or test");
    } else {
      const int f = store.fold(it->second);
      part = f == rules.test_fold ? "test" : f == rules.val_fold ? "val" : "train";
    }
    auto& rows = part == "train" ? t.split.train : part == "val" ? t.split.val : t.split.test;
    auto& ys = part == "train" ? y_train : part == "val" ? y_val : y_test;
    rows.push_back(it->second);
    ys.push_back(std::move(y));
  }
  if (!unknown.empty()) {
    std::string ex;
    for (std::size_t k = 0; k < std::min<std::size_t>(5, unknown.size()); ++k) ex += (k ? ", " : "") + unknown[k];
    throw FormatError(path, std::to_string(unknown.size()) + " ids are not records of the store " +
                                store.dir() + ", e.g. " + ex,
                      "ids are the store's record ids (PTB-XL: ecg_id; a folder store: the record name)");
  }
  t.split.y_train = to_tensor(y_train, t.classes.size());
  t.split.y_val = to_tensor(y_val, t.classes.size());
  t.split.y_test = to_tensor(y_test, t.classes.size());
  return t;
}

}  // namespace cgdmer
