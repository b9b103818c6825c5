// Inference model construction (see model_loading.h).
#include "eval/model_loading.h"

#include "core/error.h"
#include "train/checkpoint.h"

namespace cgdmer {

CgDmer load_model_for_inference(const std::string& checkpoint_path) {
  const CheckpointMeta meta = read_checkpoint_meta(checkpoint_path);
  const Config cfg = Config::from_toml(meta.config_toml, checkpoint_path + " (embedded config)");
  CgDmer model(cfg);
  load_checkpoint(checkpoint_path, *model, nullptr, cfg.model_hash());
  model->eval();
  return model;
}

CgDmer random_init_model(const Config& cfg, std::uint64_t seed) {
  torch::manual_seed(seed);
  CgDmer model(cfg);
  model->eval();
  return model;
}

}  // namespace cgdmer
