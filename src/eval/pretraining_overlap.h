// The leakage guard shared by `evaluate` and `finetune`: a checkpoint records the records it
// was pretrained on (model/checkpoint_file.h TrainingData), and a test split that holds one of
// them is refused, with an error that names the overlap; an explicit flag turns the refusal
// into a warning. Records match by the store's dataset name and record id, over every store
// of that dataset the model was trained on.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/shard_store.h"
#include "model/checkpoint_file.h"

namespace cgdmer {

// `rows` of `store` (described by `what`, e.g. "test records of task ptbxl_super") that the
// checkpoint `model` was pretrained on: ConfigError from `command` naming how many, of which
// pretraining, and the first ids — or, when `allow`, a warning. A checkpoint that records no
// pretraining data gets a warning that nothing could be checked.
void refuse_pretraining_overlap(const CheckpointMeta& meta, const std::string& model,
                                const ShardStore& store, const std::vector<std::int64_t>& rows,
                                const std::string& what, bool allow, const std::string& command);

}  // namespace cgdmer
