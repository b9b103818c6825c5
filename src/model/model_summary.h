// Human-readable summary of a CG-DMER model: parameter counts per part (top-level modules
// and parameters of CgDmer) and a `describe` text with the resolved config, used by
// `cgdmer model-info` and `cgdmer pretrain --dry-run`.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/cgdmer_model.h"

namespace cgdmer {

struct PartCount {
  std::string part;         // "ecg_tokenizer", "text_encoder", ..., or "total"
  std::int64_t params = 0;  // all parameters
  std::int64_t trainable = 0;
};

// One row per direct child / direct parameter of the model, in registration order, then "total".
std::vector<PartCount> parameter_counts(const CgDmerImpl& model);

// Resolved config (TOML) + model hash + a parameter table + which loss terms are on.
std::string describe(const CgDmerImpl& model);

}  // namespace cgdmer
