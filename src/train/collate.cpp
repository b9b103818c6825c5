// Batch → model input tensors with per-sample seeded text masking (see collate.h).
#include "train/collate.h"

#include <algorithm>
#include <random>

#include "config/config.h"
#include "core/error.h"
#include "model/patch_masking.h"
#include "model/text_tokenizer.h"
#include "text/tokenizer.h"

namespace cgdmer {

namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Raw-output uniform double in [0,1): the standard fixes mt19937_64's outputs but not
// std::uniform_real_distribution's algorithm, so draw from the raw bits.
double uniform01(std::mt19937_64& rng) { return double(rng() >> 11) * 0x1.0p-53; }

// [CLS] … [SEP] truncated to max_len keeping [SEP] last.
std::vector<std::int32_t> truncate_ids(const std::vector<std::int32_t>& ids, int max_len,
                                       int sep_id) {
  if (int(ids.size()) <= max_len) return ids;
  std::vector<std::int32_t> out(ids.begin(), ids.begin() + max_len);
  out.back() = sep_id;
  return out;
}

// BERT MLM: ratio of the non-special tokens; 80 % [MASK], 10 % random id, 10 % unchanged.
void mlm_mask(std::vector<std::int32_t>& ids, std::vector<std::int64_t>& labels,
              const CollateOptions& opt, std::mt19937_64& rng) {
  labels.assign(ids.size(), -100);
  const int n = int(ids.size()) - 2;
  if (n <= 0) return;
  bool any = false;
  for (int i = 1; i <= n; ++i) {
    if (uniform01(rng) >= opt.mlm_ratio) continue;
    any = true;
    labels[size_t(i)] = ids[size_t(i)];
    const double r = uniform01(rng);
    if (r < 0.8) ids[size_t(i)] = opt.mask_id;
    else if (r < 0.9) ids[size_t(i)] = std::int32_t(rng() % std::uint64_t(opt.base_vocab_size));
  }
  if (!any) {  // at least one target per sample so the loss is defined
    const int i = 1 + int(rng() % std::uint64_t(n));
    labels[size_t(i)] = ids[size_t(i)];
    ids[size_t(i)] = opt.mask_id;
  }
}

}  // namespace

CollateOptions CollateOptions::from_config(const Config& cfg) {
  CollateOptions o;
  o.max_len = cfg.text.max_len;
  o.decoder_max_len = cfg.text.decoder_max_len;
  o.base_vocab_size = cfg.text.vocab_size;
  o.reconstruction = cfg.loss.lambda_t_rec > 0 ? cfg.text.reconstruction : "none";
  o.span.ratio = cfg.text.mask_ratio;
  o.span.mean_span = cfg.text.mean_span;
  o.span.n_sentinels = cfg.text.n_sentinels;
  o.mlm_ratio = cfg.text.mask_ratio;
  // The vocabulary's own specials: a hard-coded 101/102/103 truncated MedCPT reports with "½"
  // for [SEP] and started the sentinel decoder on "¼".
  const WordPieceTokenizer tok = text_tokenizer_unchecked(cfg.text);
  o.pad_id = tok.pad_id();
  o.cls_id = tok.cls_id();
  o.sep_id = tok.sep_id();
  o.mask_id = tok.mask_id();
  if (o.mask_id < 0 && o.reconstruction == "mlm")
    throw ConfigError("text.reconstruction = \"mlm\" needs a [MASK] token, and the text encoder's vocabulary has none");
  return o;
}

std::uint64_t sample_seed(std::uint64_t seed, std::int64_t epoch, std::int64_t record) {
  return splitmix64(splitmix64(splitmix64(seed) ^ std::uint64_t(epoch)) ^ std::uint64_t(record));
}

CgDmerInputs collate(const Batch& batch, const CollateOptions& opt, std::uint64_t seed) {
  const int B = batch.size();
  if (B == 0) throw Error("collate: empty batch");
  if (int(batch.token_ids.size()) != B ||
      batch.signal.size() != std::size_t(B) * batch.n_leads * batch.n_samples)
    throw Error("collate: batch fields disagree in size");
  CgDmerInputs in;
  // (B, L, S): copy, the batch's vector dies with the batch.
  in.ecg = torch::from_blob(const_cast<float*>(batch.signal.data()),
                            {B, batch.n_leads, batch.n_samples}, torch::kFloat32)
               .clone();

  std::vector<std::vector<std::int32_t>> enc(static_cast<std::size_t>(B)), tgt(static_cast<std::size_t>(B));
  std::vector<std::vector<std::int64_t>> mlm(static_cast<std::size_t>(B));
  for (int b = 0; b < B; ++b) {
    auto ids = truncate_ids(batch.token_ids[size_t(b)], opt.max_len, opt.sep_id);
    std::mt19937_64 rng(sample_seed(seed, batch.epoch, batch.records[size_t(b)]));
    if (opt.reconstruction == "sentinel") {
      auto m = mask_spans(ids, opt.span, opt.base_vocab_size, rng);
      enc[size_t(b)] = std::move(m.input_ids);
      tgt[size_t(b)] = std::move(m.target_ids);
      if (int(tgt[size_t(b)].size()) > opt.decoder_max_len)
        tgt[size_t(b)].resize(size_t(opt.decoder_max_len));
    } else if (opt.reconstruction == "mlm") {
      mlm_mask(ids, mlm[size_t(b)], opt, rng);
      enc[size_t(b)] = std::move(ids);
    } else {
      enc[size_t(b)] = std::move(ids);
    }
  }

  std::size_t T = 1;
  for (auto& e : enc) T = std::max(T, e.size());
  in.text_ids = torch::full({B, std::int64_t(T)}, opt.pad_id, torch::kInt64);
  in.text_mask = torch::zeros({B, std::int64_t(T)}, torch::kInt64);
  auto ids_a = in.text_ids.accessor<std::int64_t, 2>();
  auto mask_a = in.text_mask.accessor<std::int64_t, 2>();
  for (int b = 0; b < B; ++b)
    for (std::size_t t = 0; t < enc[size_t(b)].size(); ++t) {
      ids_a[b][std::int64_t(t)] = enc[size_t(b)][t];
      mask_a[b][std::int64_t(t)] = 1;
    }

  if (opt.reconstruction == "sentinel") {
    std::size_t U = 1;
    for (auto& t : tgt) U = std::max(U, t.size());
    in.dec_input = torch::full({B, std::int64_t(U)}, opt.pad_id, torch::kInt64);
    in.dec_target = torch::full({B, std::int64_t(U)}, -100, torch::kInt64);
    auto di = in.dec_input.accessor<std::int64_t, 2>();
    auto dt = in.dec_target.accessor<std::int64_t, 2>();
    for (int b = 0; b < B; ++b) {
      const auto& t = tgt[size_t(b)];
      for (std::size_t u = 0; u < t.size(); ++u) {
        dt[b][std::int64_t(u)] = t[u];
        di[b][std::int64_t(u)] = u == 0 ? opt.cls_id : t[u - 1];
      }
    }
  } else if (opt.reconstruction == "mlm") {
    in.mlm_labels = torch::full({B, std::int64_t(T)}, -100, torch::kInt64);
    auto ml = in.mlm_labels.accessor<std::int64_t, 2>();
    for (int b = 0; b < B; ++b)
      for (std::size_t t = 0; t < mlm[size_t(b)].size(); ++t) ml[b][std::int64_t(t)] = mlm[size_t(b)][t];
  }
  return in;
}

namespace {
constexpr std::uint64_t kEcgMaskSalt = 0xEC6u;
}

torch::Tensor sample_patch_masks(const Batch& batch, const Config& cfg, std::uint64_t seed) {
  std::vector<torch::Tensor> keep;
  for (int b = 0; b < batch.size(); ++b) {
    auto gen = at::detail::createCPUGenerator(
        sample_seed(seed ^ kEcgMaskSalt, batch.epoch, batch.records[size_t(b)]));
    keep.push_back(random_patch_mask(1, cfg.ecg.n_leads, cfg.ecg_patches_per_lead(),
                                     cfg.ecg_keep_per_lead(), gen)
                       .ids_keep);
  }
  return torch::cat(keep, 0);
}

CgDmerInputs to_device(CgDmerInputs in, const torch::Device& device) {
  if (device.is_cpu()) return in;
  for (torch::Tensor* t : {&in.ecg, &in.text_ids, &in.text_mask, &in.dec_input, &in.dec_target,
                           &in.mlm_labels})
    if (t->defined()) *t = t->to(device, /*non_blocking=*/true);
  return in;
}

}  // namespace cgdmer
