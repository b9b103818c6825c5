// Implements cgdmer_model.h: builds the parts a Config asks for and computes every enabled
// loss term of Eq. 10 (+ λ_e·L_e.rec).
#include "model/cgdmer_model.h"

#include <cmath>
#include <string>

#include <spdlog/spdlog.h>

#include "core/error.h"
#include "model/losses.h"
#include "model/patch_masking.h"

namespace cgdmer {
namespace {

BertConfig bert_config_of(const Config& cfg) {
  BertConfig b;
  b.vocab_size = cfg.text.vocab_size;  // grown to text_vocab_rows() after loading weights
  b.hidden_size = cfg.text.width;
  b.num_hidden_layers = cfg.text.depth;
  b.num_attention_heads = cfg.text.heads;
  b.intermediate_size = cfg.text.intermediate;
  b.max_position_embeddings = cfg.text.max_position;
  b.type_vocab_size = cfg.text.type_vocab;
  b.layer_norm_eps = cfg.text.layer_norm_eps;
  b.hidden_dropout_prob = cfg.text.dropout;
  b.attention_probs_dropout_prob = cfg.text.dropout;
  return b;
}

// The paper starts from pretrained MedCPT; a `paper` run whose text encoder is random is
// almost always a forgotten --set text.hf_weights, so say so where it cannot be missed.
void warn_random_text_encoder(const Config& cfg) {
  if (cfg.name != "paper") return;
  const std::string bar(78, '!');
  spdlog::warn("{}", bar);
  spdlog::warn("paper preset: the text encoder is RANDOMLY INITIALISED (text.hf_weights is empty).");
  spdlog::warn("The paper starts from pretrained MedCPT: pretrain with --set text.hf_weights=DIR");
  spdlog::warn("(a Hugging Face BERT folder, e.g. ncbi/MedCPT-Query-Encoder). Loading a trained");
  spdlog::warn("checkpoint next replaces these weights; then this warning does not apply.");
  spdlog::warn("{}", bar);
}

// (B, T, H) states → (B, H): [CLS] or the mean over real tokens (mask 1).
torch::Tensor pool_text(const torch::Tensor& hidden, const torch::Tensor& mask, const std::string& how) {
  if (how != "mean") return hidden.select(1, 0);
  auto m = mask.to(hidden.device(), hidden.scalar_type()).unsqueeze(-1);  // (B, T, 1)
  return (hidden * m).sum(1) / m.sum(1).clamp_min(1.0);
}

torch::Tensor l2_normalize(const torch::Tensor& x) {
  namespace F = torch::nn::functional;
  return F::normalize(x, F::NormalizeFuncOptions().dim(1));
}

}  // namespace

CgDmerImpl::CgDmerImpl(const Config& cfg, InitialWeights weights) : cfg_(cfg) {
  cfg_.validate();
  const auto& e = cfg_.ecg;
  const int p = cfg_.ecg_patches_per_lead();
  ecg_tokenizer_ = register_module(
      "ecg_tokenizer", EcgTokenizer(EcgTokenizerOptions()
                                        .n_leads(e.n_leads)
                                        .n_samples(e.n_samples)
                                        .patch_size(e.patch_size)
                                        .channels(e.tokenizer_channels)
                                        .width(e.width)
                                        .temporal(e.temporal_embedding)
                                        .norm(e.tokenizer_norm)));
  ecg_encoder_ = register_module("ecg_encoder", EcgEncoder(EcgEncoderOptions()
                                                               .width(e.width)
                                                               .depth(e.depth)
                                                               .heads(e.heads)
                                                               .mlp_ratio(e.mlp_ratio)
                                                               .dropout(e.dropout)));
  if (cfg_.has_ecg_decoder())
    ecg_decoder_ = register_module("ecg_decoder", EcgDecoder(EcgDecoderOptions()
                                                                 .n_leads(e.n_leads)
                                                                 .patches(p)
                                                                 .patch_size(e.patch_size)
                                                                 .encoder_width(e.width)
                                                                 .width(e.decoder_width)
                                                                 .depth(e.decoder_depth)
                                                                 .heads(e.decoder_heads)
                                                                 .mlp_ratio(e.mlp_ratio)
                                                                 .dropout(e.dropout)
                                                                 .temporal(e.temporal_embedding)));

  const auto& t = cfg_.text;
  text_encoder_ = register_module("text_encoder", BertModel(bert_config_of(cfg_)));
  if (weights == InitialWeights::from_config) {
    if (!t.hf_weights.empty()) load_hf_bert_weights(text_encoder_, t.hf_weights);
    else warn_random_text_encoder(cfg_);
  }
  if (cfg_.text_vocab_rows() > t.vocab_size) text_encoder_->resize_token_embeddings(cfg_.text_vocab_rows());
  text_encoder_->freeze(t.freeze);
  if (cfg_.has_text_reconstruction()) {
    if (t.reconstruction == "sentinel")
      text_decoder_ = register_module("text_decoder", TextDecoder(TextDecoderOptions()
                                                                      .vocab_size(cfg_.text_vocab_rows())
                                                                      .memory_dim(t.width)
                                                                      .width(t.decoder_width)
                                                                      .layers(t.decoder_depth)
                                                                      .heads(t.decoder_heads)
                                                                      .mlp_ratio(4)
                                                                      .max_len(t.decoder_max_len)
                                                                      .dropout(t.dropout)));
    else
      mlm_head_ = register_module("mlm_head", BertMlmHead(t.width, cfg_.text_vocab_rows()));
  }

  const auto& h = cfg_.head;
  ecg_sh_ = register_module("ecg_sh", ProjectionHead(e.width, h.hidden, h.dim));
  text_sh_ = register_module("text_sh", ProjectionHead(t.width, h.hidden, h.dim));
  if (cfg_.has_specific_heads()) {
    ecg_sp_ = register_module("ecg_sp", ProjectionHead(e.width, h.hidden, h.dim));
    text_sp_ = register_module("text_sp", ProjectionHead(t.width, h.hidden, h.dim));
  }
  if (cfg_.has_siglip_params()) {
    siglip_log_scale_ = register_parameter("siglip_log_scale", torch::full({}, std::log(10.0), torch::kFloat32));
    siglip_bias_ = register_parameter("siglip_bias", torch::full({}, -10.0, torch::kFloat32));
  }
}

CgDmerOutputs CgDmerImpl::forward(const CgDmerInputs& in, torch::Generator gen,
                                  const GatherFn& gather) {
  return forward_with(in, std::move(gen), gather, {});
}

CgDmerOutputs CgDmerImpl::forward_with(const CgDmerInputs& in, torch::Generator gen,
                                       const GatherFn& gather, const ForwardOverrides& ov) {
  const auto& l = cfg_.loss;
  const int64_t b = in.ecg.size(0), leads = cfg_.ecg.n_leads, p = cfg_.ecg_patches_per_lead();
  CgDmerOutputs out;

  // ECG: visible patches → tokens → encoder → pooled (B, D). Only the visible patches are
  // tokenized (the MAE decoder puts mask tokens, not tokenizer outputs, at masked places).
  const auto dev = in.ecg.device();
  PatchMask pm;
  if (ov.ids_keep.defined())
    pm = patch_mask_from_keep(ov.ids_keep.to(dev), leads, p);
  else if (cfg_.ecg.mask_ratio > 0)
    pm = random_patch_mask(b, leads, p, cfg_.ecg_keep_per_lead(), gen, dev);
  const auto ecg = in.ecg.to(torch::kFloat32);
  torch::Tensor visible = pm.ids_keep.defined() ? ecg_tokenizer_->forward_visible(ecg, pm.ids_keep)
                                                : ecg_tokenizer_(ecg);  // (B, M, D), M = L·K or N
  auto encoded = ecg_encoder_(visible);                  // (B, M, D)
  auto pooled = ecg_encoder_->pool(encoded);             // (B, D)
  torch::Tensor ecg_pred;                                // (B, L, P, patch)
  if (ecg_decoder_) {
    TORCH_CHECK(pm.ids_keep.defined(), "L_e.rec needs a patch mask (ecg.mask_ratio > 0)");
    ecg_pred = ecg_decoder_(encoded, pm.ids_keep);
  }

  // Text: encoder states (B, T, H) → [CLS] (B, H); reconstruction logits.
  torch::Tensor text_cls, text_logits;
  if (ov.text_cls.defined()) {
    text_cls = ov.text_cls;
  } else {
    auto hidden = text_encoder_(in.text_ids, in.text_mask);  // (B, T, H)
    text_cls = pool_text(hidden, in.text_mask, cfg_.text.pooling);
    if (text_decoder_) {
      TORCH_CHECK(in.dec_input.defined() && in.dec_target.defined(),
                  "L_t.rec (sentinel) needs dec_input and dec_target");
      text_logits = text_decoder_(in.dec_input, hidden, in.text_mask);  // (B, U, V)
    } else if (mlm_head_) {
      TORCH_CHECK(in.mlm_labels.defined(), "L_t.rec (mlm) needs mlm_labels");
      auto words = text_encoder_->named_parameters()["embeddings.word_embeddings.weight"];
      text_logits = mlm_head_(hidden, words);  // (B, T, V)
    }
  }

  // Heads (Eq. 4).
  auto he_sh = ecg_sh_(pooled), ht_sh = text_sh_(text_cls);  // (B, E)
  out.ecg_shared = he_sh;
  out.text_shared = ht_sh;

  // Losses in fp32 whatever the autocast state.
  LossPrecisionGuard fp32;
  auto total = torch::zeros({}, pooled.options().dtype(torch::kFloat32));
  auto add = [&](LossTerm name, double weight, const torch::Tensor& term) {
    out.terms[name] = term.detach();
    out.weighted_terms[name] = weight * term;
    total = total + out.weighted_terms[name];
  };
  if (l.lambda_e_rec > 0) {
    auto target = in.ecg.to(torch::kFloat32).view({b, leads, p, cfg_.ecg.patch_size});
    add(LossTerm::e_rec, l.lambda_e_rec,
        ecg_reconstruction_loss(ecg_pred, target, pm.mask, cfg_.ecg.norm_target));
  }
  if (l.lambda_t_rec > 0 && text_logits.defined()) {
    const auto& labels = text_decoder_ ? in.dec_target : in.mlm_labels;
    add(LossTerm::t_rec, l.lambda_t_rec, text_reconstruction_loss(text_logits.to(torch::kFloat32), labels));
  }
  if (l.lambda_orth > 0)
    add(LossTerm::orth, l.lambda_orth,
        orthogonality_loss(ecg_sp_(pooled), he_sh) + orthogonality_loss(text_sp_(text_cls), ht_sh));
  if (l.lambda_siglip > 0 || l.lambda_cons > 0) {
    auto ge = gather ? gather(he_sh) : he_sh;  // (B_world, E)
    auto gt = gather ? gather(ht_sh) : ht_sh;
    torch::Tensor same;  // (B_world, B_world) identical reports, for label-aware targets
    if (l.cons_targets == "report" && in.text_ids.defined() && !ov.text_cls.defined()) {
      auto keys = report_keys(in.text_ids, in.text_mask, text_decoder_ ? in.dec_target : torch::Tensor(),
                              mlm_head_ ? in.mlm_labels : torch::Tensor(), cfg_.text.vocab_size)
                      .unsqueeze(1);  // (B, 1)
      if (gather) keys = gather(keys);
      same = keys == keys.t();
    }
    if (l.lambda_siglip > 0) {
      const bool learnable = l.siglip == SiglipMode::learnable;
      add(LossTerm::siglip, l.lambda_siglip,
          siglip_loss(ge, gt, learnable ? siglip_log_scale_ : torch::Tensor(),
                      learnable ? siglip_bias_ : torch::Tensor(), learnable, same));
    }
    if (l.lambda_cons > 0) add(LossTerm::cons, l.lambda_cons, clip_loss(ge, gt, l.temperature, same));
  }
  out.loss = total;
  return out;
}

torch::Tensor CgDmerImpl::ecg_features(const torch::Tensor& ecg, const std::vector<int>& leads) {
  const auto x = ecg.to(torch::kFloat32);
  const int L = cfg_.ecg.n_leads;
  for (std::size_t i = 0; i < leads.size(); ++i)
    if (leads[i] < 0 || leads[i] >= L || (i > 0 && leads[i] <= leads[i - 1]))
      throw ConfigError("lead subset must hold ascending lead indices in [0, " + std::to_string(L) +
                        "), got index " + std::to_string(leads[i]) + " at position " + std::to_string(i));
  if (leads.empty() || int(leads.size()) == L)
    return ecg_encoder_->pool(ecg_encoder_(ecg_tokenizer_(x)));  // (B, N, D) → (B, D)
  // Token n = l·P + p (lead-major): the tokens of the present leads only, (B, |leads|·P).
  const std::int64_t P = ecg_tokenizer_->patches_per_lead();
  std::vector<std::int64_t> ids;
  for (int l : leads)
    for (std::int64_t p = 0; p < P; ++p) ids.push_back(l * P + p);
  auto keep = torch::tensor(ids, torch::kLong).to(x.device()).unsqueeze(0).expand({x.size(0), -1});
  return ecg_encoder_->pool(ecg_encoder_(ecg_tokenizer_->forward_visible(x, keep.contiguous())));
}

torch::Tensor CgDmerImpl::ecg_shared(const torch::Tensor& ecg, const std::vector<int>& leads) {
  return l2_normalize(ecg_sh_(ecg_features(ecg, leads)).to(torch::kFloat32));
}

torch::Tensor CgDmerImpl::text_shared(const torch::Tensor& ids, const torch::Tensor& mask) {
  auto cls = pool_text(text_encoder_(ids, mask), mask, cfg_.text.pooling);  // (B, H)
  return l2_normalize(text_sh_(cls).to(torch::kFloat32));
}

ModalityEmbeddings CgDmerImpl::ecg_embeddings(const torch::Tensor& ecg, const std::vector<int>& leads) {
  ModalityEmbeddings m;
  m.pooled = ecg_features(ecg, leads);
  m.shared = ecg_sh_(m.pooled);
  if (ecg_sp_) m.specific = ecg_sp_(m.pooled);
  return m;
}

ModalityEmbeddings CgDmerImpl::text_embeddings(const torch::Tensor& ids, const torch::Tensor& mask) {
  ModalityEmbeddings m;
  m.pooled = pool_text(text_encoder_(ids, mask), mask, cfg_.text.pooling);  // (B, H)
  m.shared = text_sh_(m.pooled);
  if (text_sp_) m.specific = text_sp_(m.pooled);
  return m;
}

std::vector<torch::Tensor> CgDmerImpl::ecg_encoder_parameters() {
  auto p = ecg_tokenizer_->parameters();
  for (auto& t : ecg_encoder_->parameters()) p.push_back(t);
  return p;
}

std::vector<torch::Tensor> CgDmerImpl::text_encoder_parameters() {
  return text_encoder_->parameters();
}

}  // namespace cgdmer
