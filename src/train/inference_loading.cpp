// load_model_for_inference (declared in checkpoint.h): a checkpoint file or a run folder →
// the model built from the checkpoint's own resolved config, weights loaded, eval mode.
#include <filesystem>

#include "config/config.h"
#include "core/error.h"
#include "model/cgdmer_model.h"
#include "train/checkpoint.h"

namespace cgdmer {

CgDmer load_model_for_inference(const std::string& ckpt_or_run_dir, Config* cfg_out) {
  namespace fs = std::filesystem;
  std::string path = ckpt_or_run_dir;
  if (fs::is_directory(path)) {
    path = best_checkpoint_path(ckpt_or_run_dir);
    if (!fs::exists(path)) path = latest_checkpoint(ckpt_or_run_dir);
    if (path.empty())
      throw IoError(ckpt_or_run_dir, "run folder has no checkpoint (checkpoints/*.ckpt)");
  }
  CheckpointReader reader(path);  // read once: meta (→ config → model), then the weights
  Config cfg = Config::from_toml(reader.meta().config_toml, path);
  // No dependence on hf_weights files at load time: the checkpoint holds every weight.
  cfg.text.hf_weights.clear();
  CgDmer model(cfg);
  reader.load(*model, nullptr, cfg.model_hash());
  model->eval();
  if (cfg_out) *cfg_out = cfg;
  return model;
}

}  // namespace cgdmer
