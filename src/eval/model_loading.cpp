// Evaluation model construction (see model_loading.h).
#include "eval/model_loading.h"

namespace cgdmer {

CgDmer random_init_model(Config cfg, std::uint64_t seed) {
  cfg.text.hf_weights.clear();
  torch::manual_seed(seed);
  CgDmer model(cfg);
  model->eval();
  return model;
}

}  // namespace cgdmer
