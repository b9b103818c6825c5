// Models for evaluation. Checkpoints are loaded by train/'s load_model_for_inference, which
// the eval library cannot link (train sits beside eval in the library graph), so the caller
// (apps/cgdmer) passes it in as a ModelLoader. Here: the `--random-init` baseline, a fresh
// CG-DMER from a config (every weight random, HF text weights not loaded).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "config/config.h"
#include "model/cgdmer_model.h"

namespace cgdmer {

using ModelLoader = std::function<CgDmer(const std::string& checkpoint_or_run_dir)>;
CgDmer random_init_model(Config cfg, std::uint64_t seed = 0);

}  // namespace cgdmer
