// The resolved configuration of a CG-DMER run: model, losses, text, optimisation and data.
// Presets are TOML files under configs/ (paper, tiny, variant1..4); any key can be
// overridden with --set section.key=value. Defaults live here only (SPEC §1 = `paper`).
// A config is printed and saved resolved (config.toml in the run folder and in every
// checkpoint), and its model part is hashed so checkpoints of another shape are refused.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cgdmer {

// Typed choices, parsed once from their TOML / --set text (the field table in config.cpp
// reads and prints them by name).

// text.freeze: which text-encoder parameters stay fixed during training.
//   none | all (the whole encoder, pooler included) | first:K (embeddings + layers 0..K−1;
//   first:0 = embeddings only)
struct FreezeSpec {
  enum class Kind { none, all, first };
  Kind kind = Kind::none;
  int layers = 0;  // K of first:K
  // ConfigError naming `what` for anything but the forms above.
  static FreezeSpec parse(const std::string& text, const std::string& what = "text.freeze");
  std::string text() const;
  bool operator==(const FreezeSpec& o) const { return kind == o.kind && layers == o.layers; }
};

// loss.siglip: learnable (log-scale t0 = log 10, bias b0 = −10, trained) | fixed (C-MELT's
// constants, no parameters).
enum class SiglipMode { learnable, fixed };

struct EcgModelConfig {
  int n_leads = 12;
  int n_samples = 5000;        // per lead (10 s at 500 Hz)
  int patch_size = 50;         // samples per patch → N = n_samples / patch_size = 100
  int tokenizer_channels = 128;  // Conv1d stack width inside the patch tokenizer
  int width = 768;             // D
  int depth = 8;
  int heads = 12;
  int mlp_ratio = 4;
  double dropout = 0.0;
  std::string temporal_embedding = "sincos";  // "sincos" | "learned"
  // Where the tokenizer's GroupNorm sits (model/ecg_tokenizer.h): "patch" (conv → norm → GELU,
  // drops each patch's amplitude and baseline; the default here so that checkpoints saved
  // before this key load unchanged), "post" (paper order conv → GELU → norm), "stats"
  // ("patch" + the patch mean and std put back). Presets choose explicitly.
  std::string tokenizer_norm = "patch";
  double mask_ratio = 0.75;
  int decoder_width = 256;
  int decoder_depth = 4;
  int decoder_heads = 8;
  bool norm_target = false;    // per-patch target normalisation in L_e.rec
};

struct TextModelConfig {
  int vocab_size = 30522;      // base WordPiece vocabulary (MedCPT)
  int width = 768;
  int depth = 12;
  int heads = 12;
  int intermediate = 3072;
  int max_len = 256;
  int max_position = 512;      // BERT position-embedding rows (HF checkpoints: 512), >= max_len
  double dropout = 0.1;
  double layer_norm_eps = 1e-12;  // BERT LayerNorm eps (HF config.json's layer_norm_eps)
  int type_vocab = 2;          // token-type rows (HF type_vocab_size; only type 0 is used)
  // Pretrained text encoder: a Hugging Face BERT folder (config.json, vocab.txt,
  // model.safetensors) or a .safetensors file ("" = random init). A folder's config.json
  // overrides vocab_size..type_vocab above when the config is loaded (config/pretrained_text.h).
  std::string hf_weights;
  FreezeSpec freeze;           // none | all | first:K
  // Report feature fed to the heads: "cls" (the [CLS] state, the paper's) | "mean" (mean of
  // the real tokens' states). A randomly initialised BERT's [CLS] state is almost the same
  // for every report, which stalls the contrastive terms (docs/experiments.md).
  std::string pooling = "cls";
  std::string reconstruction = "sentinel";  // "sentinel" | "mlm"
  double mask_ratio = 0.15;
  double mean_span = 3.0;
  int n_sentinels = 100;
  int decoder_width = 256;
  int decoder_depth = 2;
  int decoder_heads = 4;
  int decoder_max_len = 128;
};

struct HeadConfig {
  int dim = 256;               // f_sp / f_sh output (Linear → GELU → Linear)
  int hidden = 256;
};

struct LossConfig {
  double lambda_cons = 1.0;    // L_cons on/off weight
  double lambda_e_rec = 1.0;   // λ_e
  double lambda_t_rec = 1.0;   // λ1
  double lambda_orth = 1.0;    // λ2
  double lambda_siglip = 1.0;  // λ3
  double temperature = 0.07;   // InfoNCE τ
  SiglipMode siglip = SiglipMode::learnable;
  // Positives of L_cons and L_SigLIP: "diagonal" (pair i ↔ report i only) | "report" (every
  // pair in the batch whose report is identical counts as a positive: PTB-XL repeats reports).
  std::string cons_targets = "diagonal";
};

struct TrainConfig {
  int batch_size = 512;        // per device
  int epochs = 50;
  std::int64_t max_steps = 0;  // 0 = epochs decide
  double lr = 2e-4;
  double weight_decay = 1e-5;
  double warmup_fraction = 0.05;
  double min_lr_fraction = 0.0;
  double grad_clip = 1.0;      // 0 = off
  int grad_accum = 1;
  std::string precision = "auto";  // "fp32" | "bf16" | "auto" (bf16 where native)
  bool tf32 = false;           // TF32 tensor cores for fp32 matmuls/convs on NVIDIA GPUs
  std::uint64_t seed = 42;
  int log_every = 10;
  int save_every = 500;
  int keep_last = 3;
  int val_every = 0;           // zero-shot validation every k steps (0 = only at the end)
  int diagnose_every = 50;     // per-term gradient norms every k steps and at step 1 (0 = step 1 only)
  int max_bad_steps = 5;       // consecutive non-finite losses before stopping
  int loader_workers = 2;
};

struct Config {
  std::string name = "paper";
  EcgModelConfig ecg;
  TextModelConfig text;
  HeadConfig head;
  LossConfig loss;
  TrainConfig train;

  // Preset name (configs/<name>.toml) or a path to a TOML file; then overrides
  // "section.key=value". Unknown keys and bad values → ConfigError naming them.
  static Config load(const std::string& preset_or_path,
                     const std::vector<std::string>& overrides = {});
  static Config from_toml(const std::string& toml_text, const std::string& origin);
  void apply_override(const std::string& assignment);
  void validate() const;  // e.g. n_samples % patch_size == 0, heads divide width
  std::string to_toml() const;
  // The parts that decide parameter shapes, one "section.key=value" line each (+ the
  // optional-module flags): what model_hash() hashes.
  std::string model_shape_text() const;
  std::string model_hash() const;  // FNV-1a-64 hex (core/fnv1a.h) of model_shape_text()

  // Which optional modules exist (a term with weight 0 has no module and no cost).
  bool has_ecg_decoder() const { return loss.lambda_e_rec > 0; }
  bool has_text_reconstruction() const { return loss.lambda_t_rec > 0; }
  bool has_specific_heads() const { return loss.lambda_orth > 0; }  // f_sp exist only for L_orth
  bool has_siglip_params() const {
    return loss.lambda_siglip > 0 && loss.siglip == SiglipMode::learnable;
  }
  // Rows of the text encoder's word embeddings: base vocab, plus sentinels and <eos> when the
  // sentinel decoder is on (ids as in text/span_masking.h).
  int text_vocab_rows() const;
  // Visible patches per lead: floor(P·(1 − r) + 1e-6), at least 1 (ST-MEM's int(), guarded
  // against 100·(1 − 0.9) = 9.9999…).
  int ecg_keep_per_lead() const;
  int ecg_patches_per_lead() const { return ecg.n_samples / ecg.patch_size; }
};

}  // namespace cgdmer
