// Implements pretraining_overlap.h.
#include "eval/pretraining_overlap.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "core/error.h"

namespace cgdmer {

void refuse_pretraining_overlap(const CheckpointMeta& meta, const std::string& model,
                                const ShardStore& store, const std::vector<std::int64_t>& rows,
                                const std::string& what, bool allow, const std::string& command) {
  TrainingData pre;
  if (!training_data_of(meta, &pre, model)) {
    spdlog::warn("{}: the checkpoint does not record its pretraining records (written by an "
                 "earlier cgdmer); {} are not checked against them", model, what);
    return;
  }
  const std::string& dataset = store.info().dataset;
  const auto ids = pre.record_ids_of(dataset);
  if (ids.empty()) return;
  const std::set<std::string> seen(ids.begin(), ids.end());
  std::vector<std::string> overlap;
  for (auto r : rows)
    if (seen.count(store.record_id(r))) overlap.push_back(store.record_id(r));
  if (overlap.empty()) return;
  std::string stores;  // the run's stores of this dataset
  for (const auto& s : pre.stores)
    if (s.dataset == dataset) stores += (stores.empty() ? "" : " + ") + s.store;
  std::string folds = pre.folds.empty() ? "all" : "";
  for (int f : pre.folds) folds += (folds.empty() ? "" : " ") + std::to_string(f);
  std::string ex;
  for (std::size_t k = 0; k < std::min<std::size_t>(5, overlap.size()); ++k) ex += (k ? ", " : "") + overlap[k];
  const std::string msg = std::to_string(overlap.size()) + " of the " + std::to_string(rows.size()) + " " +
                          what + " (" + store.dir() + ") were used to pretrain " + model + " (" +
                          stores + ", folds " + folds + "), e.g. record " + ex;
  if (!allow)
    throw ConfigError(command + ": " + msg,
                      "test on a fold the model never trained on (--test-fold), or pass "
                      "--allow-pretraining-overlap to go on anyway");
  spdlog::warn("{} (allowed by --allow-pretraining-overlap)", msg);
}

}  // namespace cgdmer
