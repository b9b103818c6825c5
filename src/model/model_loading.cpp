// Implements model_loading.h.
#include "model/model_loading.h"

namespace cgdmer {

CgDmer load_model_for_inference(const std::string& ckpt_or_run_dir, Config* cfg_out,
                                CheckpointMeta* meta_out) {
  const std::string path = resolve_checkpoint(ckpt_or_run_dir);
  CheckpointReader reader(path);  // read once: meta (→ config → model), then the weights
  Config cfg = Config::from_toml(reader.meta().config_toml, path);
  // No dependence on hf_weights files at load time: the checkpoint holds every weight (the
  // setting stays in the config: it names the text encoder's tokenizer folder).
  CgDmer model(cfg, CgDmerImpl::InitialWeights::none_pretrained);
  reader.load(*model, nullptr, cfg.model_hash());
  model->eval();
  if (cfg_out) *cfg_out = cfg;
  if (meta_out) *meta_out = reader.meta();
  return model;
}

CgDmer random_init_model(Config cfg, std::uint64_t seed) {
  torch::manual_seed(seed);
  CgDmer model(cfg, CgDmerImpl::InitialWeights::none_pretrained);
  model->eval();
  return model;
}

}  // namespace cgdmer
