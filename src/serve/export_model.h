// `cgdmer export`: a trained model as plain files another program can load without cgdmer.
//   DIR/model.safetensors  every parameter and buffer of CgDmer, named by module path
//                          (ecg_tokenizer.convs.0.weight, ecg_encoder.blocks.2.attn.qkv.weight,
//                          text_encoder.<HF BertModel names>, ecg_sh.fc1.weight, ...), float32;
//                          __metadata__: format, config name, model_hash
//   DIR/config.json        {"format", "config": resolved config as JSON, "model_hash",
//                          "source_checkpoint", "preprocessing": {lead_order, n_leads,
//                          n_samples, rate_hz, seconds, normalisation, ...}, "ecg_encoder":
//                          {patch_size, kernels, group_norm, ln_eps, ...}}
//   DIR/PARAMETERS.md      what each name prefix is, then every tensor with shape and dtype
// tools/load_exported.py reads these with plain torch and reproduces `cgdmer embed`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cgdmer {

struct ExportOptions {
  std::string model;  // checkpoint or run folder
  std::string out;    // folder (created)
};

struct ExportResult {
  std::vector<std::string> files;
  std::int64_t n_tensors = 0, n_values = 0;
  std::string model_hash;
};

ExportResult run_export(const ExportOptions& o);

}  // namespace cgdmer
