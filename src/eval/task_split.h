// A downstream task on one store, resolved in one place: which records train, validate and
// test, and their labels in the task's class order, with MERL's label bugs applied when asked.
//   Splits: PTB-XL tasks use strat_fold (train = every other fold, val = val_fold, test =
//   test_fold), keeping only records with ≥ 1 label in the task (as MERL's split CSVs do);
//   stores without folds (CPSC 2018, CSN) are split like MERL's preprocessing:
//   train_test_split(test_size=0.2, rs=42), then test_size=0.1 on the rest for val — over the
//   store's record order. With `merl_splits` (MERL's released finetune/data_split folder) the
//   records and row order of its CSVs (eval/merl_splits.h).
//   MERL bugs (eval/tasks.h): CSN substring labels on every split; sub-class column order on
//   the training labels only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "data/shard_store.h"
#include "eval/tasks.h"

namespace cgdmer {

struct SplitRules {
  int val_fold = 9, test_fold = 10;  // PTB-XL strat_fold
  std::string merl_splits;           // MERL's finetune/data_split folder ("" = not used)
  bool merl_bugs = false;
};

struct TaskSplit {
  std::vector<std::int64_t> train, val, test;  // store rows
  torch::Tensor y_train, y_val, y_test;        // (n, C) float32, task class order
};

// ConfigError naming the store and task when a split is empty.
TaskSplit resolve_task_split(const TaskDef& task, const ShardStore& store, const SplitRules& rules);

}  // namespace cgdmer
