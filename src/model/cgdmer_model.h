// The CG-DMER model (paper §2, Eqs. 1–10): spatial–temporal ECG tokenizer + masked ECG
// encoder + MAE decoder (L_e.rec), BERT text encoder + sentinel text decoder (L_t.rec),
// disentangling heads f_sp/f_sh per modality (L_orth), and the two alignment losses on the
// shared parts (L_SigLIP, L_cons). Every term is switchable through Config::loss weights
// (0 = term not computed), which makes Table 3's variants configurations.
// Dimension legend: B batch, L leads (12), S samples per lead, P patches per lead
// (S / patch_size), N = L·P tokens, D encoder width, T text tokens, U target tokens,
// E = head dim (256).
#pragma once

#include <functional>
#include <map>
#include <string>

#include <torch/torch.h>

#include "config/config.h"
#include "model/bert.h"
#include "model/ecg_decoder.h"
#include "model/ecg_encoder.h"
#include "model/ecg_tokenizer.h"
#include "model/loss_terms.h"
#include "model/projection_head.h"
#include "model/text_decoder.h"

namespace cgdmer {

struct CgDmerInputs {
  torch::Tensor ecg;         // (B, L, S) float32, [0,1]
  torch::Tensor text_ids;    // (B, T) int64: encoder input (spans → sentinels when t_rec on)
  torch::Tensor text_mask;   // (B, T) int64, 1 = real token
  torch::Tensor dec_input;   // (B, U) int64: start token + target[:-1] (undefined if off)
  torch::Tensor dec_target;  // (B, U) int64: <s0> span0 ... <eos>, -100 = padding
  torch::Tensor mlm_labels;  // (B, T) int64 for reconstruction = "mlm", else undefined
};

struct CgDmerOutputs {
  torch::Tensor loss;                          // weighted total (scalar, float32)
  std::map<LossTerm, torch::Tensor> terms;     // each term on, unweighted, detached
  torch::Tensor ecg_shared, text_shared;       // (B, E) h_sh, before normalisation
  // Each weighted term λ·L with its graph (same keys as `terms`): for per-term gradient norms.
  std::map<LossTerm, torch::Tensor> weighted_terms;
};

// A modality's representations, for analysis (effective rank, retrieval): (B, width) pooled
// encoder output, and the heads' (B, E) h_sh and h_sp (h_sp undefined without f_sp heads).
struct ModalityEmbeddings {
  torch::Tensor pooled, shared, specific;
};

// Gathers a (B_local, E) tensor from every rank into (B_world, E), keeping the gradient
// on the local slice (MERL's all_gather trick). Identity on one process.
using GatherFn = std::function<torch::Tensor(const torch::Tensor&)>;

// Hooks for tests and analysis (fixtures compare against a PyTorch reference):
struct ForwardOverrides {
  torch::Tensor ids_keep;  // (B, L·K) int64 visible token indices l·P + p, used instead of
                           //   drawing a mask from the generator
  torch::Tensor text_cls;  // (B, H) text [CLS] feature used instead of running the text
                           //   encoder; L_t.rec is then not computed (no "loss_t_rec" term)
};

class CgDmerImpl : public torch::nn::Module {
 public:
  // `weights`: from_config loads text.hf_weights (pretrained BERT) when set; none_pretrained
  // builds every weight at random without loading or warning — for a model whose weights come
  // from a checkpoint next, or the random-init baseline.
  enum class InitialWeights { from_config, none_pretrained };
  explicit CgDmerImpl(const Config& cfg, InitialWeights weights = InitialWeights::from_config);

  // Training forward. `gen` drives the ECG patch masking (seeded per rank and step).
  CgDmerOutputs forward(const CgDmerInputs& in, torch::Generator gen,
                        const GatherFn& gather = nullptr);
  CgDmerOutputs forward_with(const CgDmerInputs& in, torch::Generator gen, const GatherFn& gather,
                             const ForwardOverrides& overrides);

  // Inference features (no masking, eval mode expected). `leads`: the lead indices (0-based,
  // in the config's lead order, ascending) that the ECGs hold; only those leads' tokens are
  // encoded and pooled, so a 1-, 2- or 6-lead record needs no zero-filled fake leads (the
  // other rows of `ecg` are never read). Empty = every lead.
  torch::Tensor ecg_features(const torch::Tensor& ecg, const std::vector<int>& leads = {});  // (B, D): token mean → LN
  torch::Tensor ecg_shared(const torch::Tensor& ecg, const std::vector<int>& leads = {});    // (B, E): f_sh^ecg, L2-normalised
  torch::Tensor text_shared(const torch::Tensor& ids, const torch::Tensor& mask);  // (B, E), L2-normalised
  ModalityEmbeddings ecg_embeddings(const torch::Tensor& ecg, const std::vector<int>& leads = {});
  ModalityEmbeddings text_embeddings(const torch::Tensor& ids, const torch::Tensor& mask);
  // The encoders that both modalities' heads sit on: tokenizer + ECG encoder, text encoder.
  std::vector<torch::Tensor> ecg_encoder_parameters();
  std::vector<torch::Tensor> text_encoder_parameters();
  // Learnable SigLIP log-scale and bias (undefined when SigLIP is off or fixed).
  torch::Tensor siglip_log_scale() const { return siglip_log_scale_; }
  torch::Tensor siglip_bias() const { return siglip_bias_; }

  const Config& config() const { return cfg_; }
  BertModel& text_encoder() { return text_encoder_; }

 private:
  Config cfg_;
  // Registered names (state-dict prefixes) in brackets; optional parts exist only when
  // their loss term is on (Config::has_*), so a switched-off term costs nothing.
  EcgTokenizer ecg_tokenizer_{nullptr};  // [ecg_tokenizer]
  EcgEncoder ecg_encoder_{nullptr};      // [ecg_encoder]
  EcgDecoder ecg_decoder_{nullptr};      // [ecg_decoder]   L_e.rec
  BertModel text_encoder_{nullptr};      // [text_encoder]  HF BertModel names below it
  TextDecoder text_decoder_{nullptr};    // [text_decoder]  L_t.rec, reconstruction = sentinel
  BertMlmHead mlm_head_{nullptr};        // [mlm_head]      L_t.rec, reconstruction = mlm
  ProjectionHead ecg_sp_{nullptr}, ecg_sh_{nullptr};    // [ecg_sp] (L_orth), [ecg_sh]
  ProjectionHead text_sp_{nullptr}, text_sh_{nullptr};  // [text_sp] (L_orth), [text_sh]
  torch::Tensor siglip_log_scale_, siglip_bias_;  // [siglip_log_scale], [siglip_bias], 0-dim
};
TORCH_MODULE(CgDmer);

}  // namespace cgdmer
