// Building a CG-DMER for inference: from a training checkpoint (config read from the
// checkpoint's meta, weights loaded with the model-hash check), or freshly initialised from a
// config preset (the `--random-init` baseline). SEAM: if train/serve later provide a shared
// load_model_for_inference, this one should be replaced by it (same signature).
#pragma once

#include <string>

#include "config/config.h"
#include "model/cgdmer_model.h"

namespace cgdmer {

CgDmer load_model_for_inference(const std::string& checkpoint_path);
CgDmer random_init_model(const Config& cfg, std::uint64_t seed = 0);

}  // namespace cgdmer
