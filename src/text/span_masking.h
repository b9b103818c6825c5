// Sentinel span masking for text reconstruction (paper §2.1, T5-style): ~ratio of the
// (non-special) tokens are masked in contiguous spans; each span is replaced in the input
// by one sentinel token and the target is "<s0> span0 <s1> span1 ... <eos>".
// Extended text vocabulary: [0, V) base WordPiece ids, [V, V + n_sentinels) sentinels,
// V + n_sentinels = <eos>. Deterministic for a given rng state.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace cgdmer {

struct SpanMaskOptions {
  double ratio = 0.15;       // fraction of maskable tokens masked
  double mean_span = 3.0;    // mean span length (tokens)
  int n_sentinels = 100;
};

struct SpanMasked {
  std::vector<std::int32_t> input_ids;   // spans replaced by sentinels; [CLS]/[SEP] kept
  std::vector<std::int32_t> target_ids;  // <s0> span0 <s1> span1 ... <eos>
  int n_masked = 0;                      // tokens masked
};

// ids: [CLS] t1 ... tn [SEP] (specials at both ends are never masked). At least one token
// is masked when n ≥ 1.
SpanMasked mask_spans(const std::vector<std::int32_t>& ids, const SpanMaskOptions& opt,
                      int base_vocab_size, std::mt19937_64& rng);

inline int sentinel_id(int base_vocab_size, int k) { return base_vocab_size + k; }
inline int eos_id(int base_vocab_size, int n_sentinels) { return base_vocab_size + n_sentinels; }

}  // namespace cgdmer
