// Batch (from the Loader) → CgDmerInputs tensors for one training step:
//   ecg        (B, L, S) float32 in [0,1]
//   text_ids   (B, T) int64, T = longest report in the batch after truncation to
//              text.max_len ([SEP] kept last), padded with [PAD]; spans → sentinels
//   text_mask  (B, T) int64, 1 = real token
//   dec_input  (B, U) int64 = [CLS] + target[:-1]   (sentinel reconstruction)
//   dec_target (B, U) int64 = "<s0> span0 <s1> span1 … <eos>" truncated to decoder_max_len,
//              -100 = padding
//   mlm_labels (B, T) int64 original id at masked positions, -100 elsewhere (mlm variant)
// and the ECG patch masks of the batch, (B, L·K) visible token indices.
// Masking randomness is per sample: text spans from an mt19937_64 seeded from (seed, epoch,
// record index), ECG patches from a torch generator seeded from (seed ^ 0xEC6, epoch, record).
// So the masks depend on neither the batch composition nor the rank, which makes resume
// exact and makes a 2-rank run see the same masks as a 1-rank run with the double batch.
#pragma once

#include <cstdint>
#include <string>

#include "data/loader.h"
#include "model/cgdmer_model.h"
#include "text/span_masking.h"

namespace cgdmer {

struct CollateOptions {
  int max_len = 256;          // text encoder input length cap
  int decoder_max_len = 128;  // target length cap
  int base_vocab_size = 30522;
  std::string reconstruction = "sentinel";  // "sentinel" | "mlm" | "none" (t_rec off)
  SpanMaskOptions span;
  double mlm_ratio = 0.15;
  // Special ids of the text encoder's vocabulary (MedCPT's are 0, 2, 3, 4; BERT-base's 0, 101,
  // 102, 103), read by from_config from its tokenizer. -1 = not set: an id the embedding refuses.
  int pad_id = -1, cls_id = -1, sep_id = -1, mask_id = -1;

  // The options of cfg, special ids from the text encoder's tokenizer (model/text_tokenizer.h).
  static CollateOptions from_config(const Config& cfg);
};

// Seed of sample `record` in `epoch` (splitmix64 mixing of the three).
std::uint64_t sample_seed(std::uint64_t seed, std::int64_t epoch, std::int64_t record);

CgDmerInputs collate(const Batch& batch, const CollateOptions& opt, std::uint64_t seed);

// Per-sample ECG patch masks: (B, L·K) int64 visible token indices l·P + p (K per lead).
torch::Tensor sample_patch_masks(const Batch& batch, const Config& cfg, std::uint64_t seed);

// The inputs moved to `device` (non-blocking; unchanged on the CPU).
CgDmerInputs to_device(CgDmerInputs in, const torch::Device& device);

}  // namespace cgdmer
