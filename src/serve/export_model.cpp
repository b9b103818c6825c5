// Implements export_model.h.
#include "serve/export_model.h"

#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "data/preprocess.h"
#include "data/preprocess_contract.h"
#include "model/ecg_tokenizer.h"
#include "model/weights.h"
#include "serve/serving_model.h"

namespace cgdmer {
namespace fs = std::filesystem;

namespace {

nlohmann::ordered_json config_json(const Config& cfg) {
  std::ostringstream ss;
  ss << toml::json_formatter{toml::parse(cfg.to_toml())};
  return nlohmann::ordered_json::parse(ss.str());
}

std::string shape_text(const torch::Tensor& t) {
  std::string s = "(";
  for (std::int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + (t.dim() == 1 ? ",)" : ")");
}

const char* kPrefixDoc = R"(| prefix | what |
|---|---|
| `ecg_tokenizer.convs.{i}.weight` | per-patch Conv1d stack (kernel = stride, no bias), GELU after each |
| `ecg_tokenizer.norm.{weight,bias}` | GroupNorm(C, C) after conv 0 (eps 1e-5; absent when conv 0 leaves one position) |
| `ecg_tokenizer.proj.{weight,bias}` | Linear C → D per patch |
| `ecg_tokenizer.lead_embed` | (L, D) learned lead (spatial) embedding |
| `ecg_tokenizer.temporal_embed` | (P, D) temporal embedding (sin–cos buffer, or learned) |
| `ecg_encoder.blocks.{i}.norm1/norm2` | pre-norm LayerNorms (eps 1e-6) |
| `ecg_encoder.blocks.{i}.attn.qkv/proj` | fused q,k,v Linear (D → 3D; heads split as (3, H, D/H)) and output Linear |
| `ecg_encoder.blocks.{i}.mlp.fc1/fc2` | MLP D → mlp_ratio·D → D, GELU (erf) |
| `ecg_encoder.norm` | final LayerNorm over the tokens (feeds the MAE decoder) |
| `ecg_encoder.pool_norm` | LayerNorm of the token mean: the pooled feature (`embed --kind pooled`) |
| `ecg_sh.fc1/fc2` | f_sh^ecg: Linear → GELU → Linear; L2-normalised = `embed --kind shared` |
| `ecg_sp.*`, `text_sp.*` | modality-specific heads f_sp (L_orth only) |
| `ecg_decoder.*` | MAE decoder (pretraining only) |
| `text_encoder.*` | BERT text encoder, Hugging Face `BertModel` names |
| `text_sh.*` | f_sh^text head on the [CLS] feature |
| `text_decoder.*`, `mlm_head.*` | text reconstruction (pretraining only) |
| `siglip_log_scale`, `siglip_bias` | learnable SigLIP temperature and bias |
)";

}  // namespace

ExportResult run_export(const ExportOptions& o) {
  if (o.out.empty()) throw ConfigError("export: --out is required");
  Config cfg;
  std::string contract;
  CgDmer model = load_serving_model(o.model, &cfg, &contract);
  std::error_code ec;
  if (fs::exists(o.out, ec) && !fs::is_directory(o.out, ec))
    throw IoError(o.out, "exists and is not a folder", "--out names a folder to create");
  fs::create_directories(o.out, ec);
  if (ec) throw IoError(o.out, "cannot create folder: " + ec.message());
  ExportResult res;
  res.model_hash = cfg.model_hash();

  auto state = module_state(*model);  // named parameters + buffers
  std::map<std::string, torch::Tensor> tensors;
  for (auto& [k, v] : state) {
    tensors[k] = v.detach().to(torch::kCPU).contiguous();
    res.n_values += v.numel();
  }
  res.n_tensors = std::int64_t(tensors.size());
  const std::string st = (fs::path(o.out) / "model.safetensors").string();
  save_safetensors(st, tensors,
                   {{"format", "cgdmer-export-1"}, {"config", cfg.name}, {"model_hash", res.model_hash}});
  res.files.push_back(st);

  nlohmann::ordered_json j;
  j["format"] = "cgdmer-export-1";
  j["model_hash"] = res.model_hash;
  j["source_checkpoint"] = fs::absolute(o.model).string();
  j["config"] = config_json(cfg);
  j["config_toml"] = cfg.to_toml();
  const double rate = serve_preprocess_options(cfg, contract).target_fs;
  // The contract recorded with the training data when the checkpoint has one; for an older
  // checkpoint, the chain serving assumes for the config's shape.
  if (!contract.empty()) j["preprocessing_contract"] = preprocess_contract_json(contract);
  j["preprocessing"] = {
      {"lead_order", mimic_lead_order()},
      {"n_leads", cfg.ecg.n_leads},
      {"n_samples", cfg.ecg.n_samples},
      {"rate_hz", rate},
      {"seconds", double(cfg.ecg.n_samples) / rate},
      {"from_training_data", !contract.empty()},
      {"steps", {"reorder leads to lead_order", "NaN/inf -> mean of finite samples within +-6",
                 "resample to rate_hz", "crop from the start / zero-pad to n_samples",
                 "global min-max over all leads: (x - min) / (max - min + 1e-8)"}},
      {"input_layout", "(B, n_leads, n_samples) float32 in [0, 1]"}};
  j["ecg_encoder"] = {{"patch_size", cfg.ecg.patch_size},
                      {"patches_per_lead", cfg.ecg_patches_per_lead()},
                      {"conv_kernels", tokenizer_kernel_layout(cfg.ecg.patch_size)},
                      {"group_norm_eps", 1e-5},
                      {"layer_norm_eps", 1e-6},
                      {"heads", cfg.ecg.heads},
                      {"depth", cfg.ecg.depth},
                      {"gelu", "erf"},
                      {"token_order", "lead-major: n = lead * patches_per_lead + patch"},
                      {"pooled", "pool_norm(mean over all tokens of norm(blocks(tokens)))"},
                      {"shared", "l2_normalize(ecg_sh.fc2(gelu(ecg_sh.fc1(pooled))))"}};
  const std::string cj = (fs::path(o.out) / "config.json").string();
  write_file_atomic(cj, j.dump(2) + "\n");
  res.files.push_back(cj);

  std::ostringstream md;
  md << "# Exported CG-DMER parameters\n\n"
     << "Config `" << cfg.name << "`, model hash `" << res.model_hash << "`, " << res.n_tensors
     << " tensors, " << res.n_values << " values, float32, in `model.safetensors`.\n"
     << "The input is (B, " << cfg.ecg.n_leads << ", " << cfg.ecg.n_samples << ") float32 in [0, 1] at "
     << rate << " Hz (see config.json `preprocessing`). `tools/load_exported.py` reimplements the\n"
     << "ECG encoder forward from these names with plain torch.\n\n"
     << kPrefixDoc << "\n| name | shape | dtype |\n|---|---|---|\n";
  for (auto& [k, v] : tensors) md << "| `" << k << "` | " << shape_text(v) << " | " << v.dtype() << " |\n";
  const std::string pm = (fs::path(o.out) / "PARAMETERS.md").string();
  write_file_atomic(pm, md.str());
  res.files.push_back(pm);
  return res;
}

}  // namespace cgdmer
