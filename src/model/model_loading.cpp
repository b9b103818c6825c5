// Implements model_loading.h.
#include "model/model_loading.h"

#include <torch/cuda.h>

#include "core/error.h"

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

torch::Device parse_device(const std::string& text, const std::string& what) {
  if (text == "cpu") return torch::kCPU;
  int index = 0;
  if (text.rfind("cuda:", 0) == 0) {
    const std::string n = text.substr(5);
    if (n.empty() || n.find_first_not_of("0123456789") != std::string::npos || n.size() > 3)
      throw ConfigError(what + " " + text + ": the GPU index must be a number (cuda:0, cuda:1, ...)");
    index = std::stoi(n);
  } else if (text != "cuda") {
    throw ConfigError(what + " must be cpu, cuda or cuda:N, not '" + text + "'");
  }
  if (!torch::cuda::is_available())
    throw ConfigError(what + " " + text + ": this LibTorch build or machine has no CUDA device",
                      "build against a CUDA LibTorch (README, \"Building against a CUDA LibTorch\") and run on a "
                      "GPU machine, or use --device cpu");
  if (index >= int(torch::cuda::device_count()))
    throw ConfigError(what + " " + text + ": this machine has " + std::to_string(torch::cuda::device_count()) +
                      " CUDA device(s)");
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

torch::Device model_device(CgDmer& model) { return model->parameters().front().device(); }

}  // namespace cgdmer
