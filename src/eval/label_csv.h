// Labels from the user's own CSV, for `cgdmer finetune` on any store: which store records
// train, validate and test, and their classes.
//   id      required: the store's record id (PTB-XL: ecg_id; a folder store: the record name)
//   split   optional: train | val | test per row; without it the store's folds decide
//           (SplitRules val_fold / test_fold; every other fold trains), and a store without
//           folds needs the column
//   labels  either one column "labels" holding class names separated by ';' (empty = no
//           finding; the classes are the sorted names seen), or one 0/1 column per class
//           (every column other than id and split)
// Every id must be a record of the store, each at most once; store records without a row are
// not used. Errors name the file, the row and the column.
#pragma once

#include <string>
#include <vector>

#include "data/shard_store.h"
#include "eval/task_split.h"

namespace cgdmer {

struct LabelTable {
  std::vector<std::string> classes;
  TaskSplit split;  // store rows and their (n, C) multi-hot labels
};

LabelTable read_label_csv(const std::string& path, const ShardStore& store, const SplitRules& rules);

}  // namespace cgdmer
