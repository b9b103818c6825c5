// Validation during pretraining as MERL selects its best checkpoint: zero-shot mean macro
// AUC over every downstream task whose labels the validation store carries (e.g. PTB-XL
// super/sub/form/rhythm on a PTB-XL store), with the bundled CKEPE class prompts. Stores
// without task labels give no AUC (the engine then falls back to the validation loss).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "data/shard_store.h"
#include "model/cgdmer_model.h"

namespace cgdmer {

struct ZeroShotValidation {
  double mean_auc = 0;                                 // NaN when no task applies
  std::vector<std::pair<std::string, double>> tasks;   // (task, macro AUC)
};

// rows: validation records (empty = the whole store). Model put back in train mode.
ZeroShotValidation zero_shot_validation(CgDmer& model, const ShardStore& val,
                                        const std::vector<std::int64_t>& rows,
                                        const std::string& precision);

}  // namespace cgdmer
