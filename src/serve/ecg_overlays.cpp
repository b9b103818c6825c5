// Implements ecg_overlays.h: the MAE reconstruction of a seeded patch mask and gradient×input
// saliency of a zero-shot score. The model's tokenizer/encoder/decoder are reached through
// their registered submodule names (the model's training forward returns only losses).
#include "serve/ecg_overlays.h"

#include <algorithm>
#include <cctype>

#include <ATen/CPUGeneratorImpl.h>

#include "core/error.h"
#include "eval/zero_shot.h"
#include "model/ecg_decoder.h"
#include "model/ecg_encoder.h"
#include "model/ecg_tokenizer.h"
#include "model/patch_masking.h"

namespace cgdmer {
namespace {

template <class Impl>
std::shared_ptr<Impl> child(CgDmer& model, const std::string& name) {
  for (const auto& kv : model->named_children())
    if (kv.key() == name) return std::dynamic_pointer_cast<Impl>(kv.value());
  return nullptr;
}

torch::Tensor input_tensor(const Config& cfg, const std::vector<float>& x) {
  const auto L = cfg.ecg.n_leads, S = cfg.ecg.n_samples;
  if (x.size() != std::size_t(L) * S)
    throw ConfigError("overlay input has " + std::to_string(x.size()) + " values, the model takes " +
                      std::to_string(L) + " leads × " + std::to_string(S) + " samples");
  return torch::from_blob(const_cast<float*>(x.data()), {1, L, S}, torch::kFloat32).clone();
}

}  // namespace

ReconstructionOverlay reconstruct_masked(CgDmer& model, const std::vector<float>& x, std::uint64_t seed) {
  const Config& cfg = model->config();
  auto tokenizer = child<EcgTokenizerImpl>(model, "ecg_tokenizer");
  auto encoder = child<EcgEncoderImpl>(model, "ecg_encoder");
  auto decoder = child<EcgDecoderImpl>(model, "ecg_decoder");
  if (!tokenizer || !encoder) throw ConfigError("model has no ECG tokenizer/encoder");
  if (!decoder)
    throw ConfigError("this model has no ECG decoder (its config trains without L_e.rec): nothing to reconstruct",
                      "use a model pretrained with loss.lambda_e_rec > 0, or drop --reconstruct");
  if (!(cfg.ecg.mask_ratio > 0)) throw ConfigError("the model's ecg.mask_ratio is 0: no patch is masked");
  torch::NoGradGuard ng;
  model->eval();
  const int L = cfg.ecg.n_leads, S = cfg.ecg.n_samples, ps = cfg.ecg.patch_size, P = cfg.ecg_patches_per_lead();
  const torch::Device dev = model->parameters().front().device();
  auto in = input_tensor(cfg, x).to(dev);
  // The same mask draw as pretraining (CPU generator → device-independent for one seed).
  torch::Generator gen = at::detail::createCPUGenerator(seed);
  const PatchMask pm = random_patch_mask(1, L, P, cfg.ecg_keep_per_lead(), gen, dev);
  auto encoded = encoder->forward(tokenizer->forward_visible(in, pm.ids_keep));  // (1, M, D)
  auto pred = decoder->forward(encoded, pm.ids_keep).to(torch::kFloat32);      // (1, L, P, ps)
  auto target = in.view({1, L, P, ps});
  ReconstructionOverlay r;
  if (cfg.ecg.norm_target) {  // undo losses.cpp's per-patch (x − mean) / sqrt(var + 1e-6)
    auto mean = target.mean(-1, true);
    auto var = target.var(-1, /*unbiased=*/true, /*keepdim=*/true);
    pred = pred * (var + 1e-6).sqrt() + mean;
    r.denormalised = true;
  }
  auto m = pm.mask.to(torch::kFloat32);  // (1, L, P)
  r.loss = (((pred - target).pow(2).mean(-1) * m).sum() / m.sum()).item<double>();
  r.n_leads = L, r.n_samples = S, r.patch_size = ps, r.patches = P;
  auto rc = pred.reshape({L, S}).to(torch::kCPU).contiguous();
  r.reconstruction.assign(rc.data_ptr<float>(), rc.data_ptr<float>() + rc.numel());
  auto mk = pm.mask.reshape({L, P}).to(torch::kCPU).to(torch::kUInt8).contiguous();
  r.mask.assign(mk.data_ptr<std::uint8_t>(), mk.data_ptr<std::uint8_t>() + mk.numel());
  return r;
}

namespace {

// |∂score/∂x · x| summed over each patch's samples.
SaliencyOverlay patch_saliency(const Config& cfg, const torch::Tensor& score, const torch::Tensor& in) {
  const int L = cfg.ecg.n_leads, ps = cfg.ecg.patch_size, P = cfg.ecg_patches_per_lead();
  // Only ∂s/∂x is computed (the parameters' gradients are neither needed nor accumulated).
  auto grad = torch::autograd::grad({score}, {in})[0];
  auto sal = (grad * in.detach()).abs().view({L, P, ps}).sum(-1).to(torch::kCPU, torch::kFloat32).contiguous();
  SaliencyOverlay s;
  s.n_leads = L, s.patches = P, s.patch_size = ps;
  s.score = score.item<double>();
  s.per_patch.assign(sal.data_ptr<float>(), sal.data_ptr<float>() + sal.numel());
  return s;
}

}  // namespace

SaliencyOverlay prompt_saliency(CgDmer& model, const WordPieceTokenizer& tok, const std::vector<float>& x,
                                const std::vector<int>& leads, const std::string& prompt) {
  const Config& cfg = model->config();
  if (prompt.find_first_not_of(" \t\n") == std::string::npos) throw ConfigError("saliency prompt is empty");
  model->eval();
  const torch::Device dev = model->parameters().front().device();
  const auto text = encode_class_prompts(model, tok, {prompt}, cfg.text.max_len).to(dev);  // (1, E), no grad
  auto in = input_tensor(cfg, x).to(dev).requires_grad_(true);
  torch::AutoGradMode on(true);
  const auto score = (model->ecg_shared(in, leads) * text).sum();  // cosine: both L2-normalised
  return patch_saliency(cfg, score, in);
}

SaliencyOverlay classifier_saliency(CgDmer& model, const ClassifierHead& head, const std::vector<float>& x,
                                    const std::vector<int>& leads, int class_index) {
  const Config& cfg = model->config();
  if (class_index < 0 || class_index >= head.n_classes())
    throw ConfigError("classifier saliency: class index " + std::to_string(class_index) + " out of range");
  model->eval();
  const torch::Device dev = model->parameters().front().device();
  auto in = input_tensor(cfg, x).to(dev).requires_grad_(true);
  torch::AutoGradMode on(true);
  const auto score = head.logits(model->ecg_features(in, leads))[0][class_index];
  return patch_saliency(cfg, score, in);
}

}  // namespace cgdmer
