// Models ready for inference: from a checkpoint file or run folder (the model is built from
// the checkpoint's own resolved config, every weight loaded, eval mode), or freshly
// initialised from a config (the `--random-init` baseline of evaluation). Used by eval,
// serve and the commands; nothing here needs the training engine.
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"
#include "model/cgdmer_model.h"
#include "model/checkpoint_file.h"

namespace cgdmer {

// A checkpoint file, or a run folder (best.ckpt if present, else the latest step).
// `cfg_out` / `meta_out` (optional) receive the checkpoint's config and meta.
CgDmer load_model_for_inference(const std::string& ckpt_or_run_dir, Config* cfg_out = nullptr,
                                CheckpointMeta* meta_out = nullptr);

// A fresh CG-DMER from `cfg`, every weight random (pretrained text weights not loaded), eval
// mode, initialised from torch::manual_seed(seed).
CgDmer random_init_model(Config cfg, std::uint64_t seed = 0);

// Where inference runs: "cpu", "cuda" (GPU 0) or "cuda:N". ConfigError naming `what` (e.g.
// "--device") for anything else, and for CUDA when this LibTorch build or machine has none.
torch::Device parse_device(const std::string& text, const std::string& what = "--device");

// The device a model's parameters live on (where its inputs must go).
torch::Device model_device(CgDmer& model);

}  // namespace cgdmer
