// Implements task_split.h.
#include "eval/task_split.h"

#include <spdlog/spdlog.h>

#include <optional>

#include "core/error.h"
#include "data/splits.h"
#include "eval/merl_splits.h"

namespace cgdmer {
namespace {

// (rows, C) labels of `rows` in task order, CSN substring bug applied when asked.
torch::Tensor labels_of(const ShardStore& store, const std::vector<std::int64_t>& rows,
                        const LabelSetMatch& m, bool csn_bug,
                        const std::vector<std::string>& classes) {
  const int C = int(m.column.size());
  std::vector<std::uint8_t> y(rows.size() * std::size_t(C));
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto all = store.labels(rows[r], m.set);
    for (int c = 0; c < C; ++c) y[r * std::size_t(C) + std::size_t(c)] = all[std::size_t(m.column[std::size_t(c)])];
  }
  if (csn_bug) apply_csn_substring_bug(y, classes);
  auto t = torch::empty({std::int64_t(rows.size()), C}, torch::kFloat32);
  for (std::size_t k = 0; k < y.size(); ++k) t.data_ptr<float>()[k] = y[k];
  return t;
}

// MERL's released CSVs: membership and row order.
void split_by_merl_csvs(const TaskDef& task, const ShardStore& store, const std::string& dir,
                        TaskSplit& s) {
  auto ms = merl_task_split(dir, task.name, store);
  if (ms.missing > 0) {
    std::string ex;
    for (const auto& k : ms.missing_examples) ex += (ex.empty() ? "" : ", ") + k;
    spdlog::warn("task {}: {} records of MERL's split files are not in {} (e.g. {}); the "
                 "numbers are over the {} that are",
                 task.name, ms.missing, store.dir(), ex,
                 ms.train.size() + ms.val.size() + ms.test.size());
  }
  s.train = std::move(ms.train), s.val = std::move(ms.val), s.test = std::move(ms.test);
}

// strat_fold when the store has folds, else MERL's random 0.2 / 0.1 split; only records with
// at least one of the task's labels. Returns whether the store has folds.
bool split_by_folds_or_random(const ShardStore& store, const LabelSetMatch& m,
                              const SplitRules& rules, TaskSplit& s) {
  std::vector<std::int64_t> kept;
  bool has_folds = false;
  for (std::int64_t i = 0; i < store.size(); ++i) {
    const auto all = store.labels(i, m.set);
    bool any = false;
    for (int c : m.column) any = any || all[std::size_t(c)];
    if (any) kept.push_back(i);  // MERL's split CSVs hold only records with ≥ 1 task label
    has_folds = has_folds || store.fold(i) > 0;
  }
  if (has_folds) {
    for (auto i : kept) {
      const int f = store.fold(i);
      (f == rules.test_fold ? s.test : f == rules.val_fold ? s.val : s.train).push_back(i);
    }
    return true;
  }
  const auto a = train_test_split(std::int64_t(kept.size()), std::nullopt, 0.2, 42);
  const auto b = train_test_split(std::int64_t(a.train.size()), std::nullopt, 0.1, 42);
  for (auto k : a.test) s.test.push_back(kept[std::size_t(k)]);
  for (auto k : b.train) s.train.push_back(kept[std::size_t(a.train[std::size_t(k)])]);
  for (auto k : b.test) s.val.push_back(kept[std::size_t(a.train[std::size_t(k)])]);
  return false;
}

}  // namespace

TaskSplit resolve_task_split(const TaskDef& task, const ShardStore& store, const SplitRules& rules) {
  const auto m = match_label_set(task, store.info().label_sets, store.dir());
  TaskSplit s;
  bool has_folds = false;
  if (!rules.merl_splits.empty()) split_by_merl_csvs(task, store, rules.merl_splits, s);
  else has_folds = split_by_folds_or_random(store, m, rules, s);
  if (s.train.empty() || s.test.empty())
    throw ConfigError(store.dir() + ": task " + task.name + " has " + std::to_string(s.train.size()) +
                          " training and " + std::to_string(s.test.size()) + " test records",
                      !rules.merl_splits.empty()
                          ? "the store holds too few of the records in MERL's split files"
                      : has_folds ? "check --val-fold/--test-fold against the store's strat_fold values"
                                  : "the store holds too few labelled records");
  const bool csn_bug = rules.merl_bugs && task.name == "csn";
  s.y_train = labels_of(store, s.train, m, csn_bug, task.classes);
  s.y_val = labels_of(store, s.val, m, csn_bug, task.classes);
  s.y_test = labels_of(store, s.test, m, csn_bug, task.classes);
  if (rules.merl_bugs) {  // sub-class column order: outputs trained on another class's column
    const auto perm = merl_train_label_permutation(task);
    s.y_train = s.y_train.index_select(
        1, torch::tensor(std::vector<std::int64_t>(perm.begin(), perm.end())));
  }
  return s;
}

}  // namespace cgdmer
