// T5-style sentinel span masking (see span_masking.h). Our choice of the random process:
//   n      = maskable tokens (everything between the leading and trailing special token)
//   n_mask = max(1, round(ratio · n)), at most n             (count is deterministic)
//   n_span = max(1, round(n_mask / mean_span)), capped so that spans stay separated by at
//            least one kept token (≤ n − n_mask + 1) and at most n_sentinels
//   span lengths: a uniformly random composition of n_mask into n_span positive parts;
//   kept-token gaps: a uniformly random composition of the n − n_mask kept tokens into
//            n_span + 1 gaps, the two outer ones allowed to be empty.
// This is T5's random_spans_noise_mask, except that a span may start right after [CLS].
// Random draws use only the raw 64-bit outputs of mt19937_64 (fully specified by the C++
// standard), not std::uniform_int_distribution (implementation-defined), so a seed gives the
// same masks with every standard library.
#include "text/span_masking.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"

namespace cgdmer {
namespace {

// Uniform integer in [0, n) by rejection (no modulo bias).
std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t n) {
  const std::uint64_t limit = std::uint64_t(-1) - std::uint64_t(-1) % n;
  std::uint64_t x;
  do x = rng(); while (x >= limit);
  return x % n;
}

// A uniformly random composition of m ≥ k ≥ 1 into k positive parts: k − 1 distinct cut
// points drawn from {1, …, m − 1}.
std::vector<int> random_composition(int m, int k, std::mt19937_64& rng) {
  std::vector<int> cuts(size_t(m - 1));
  for (int i = 0; i < m - 1; ++i) cuts[size_t(i)] = i + 1;
  for (int i = 0; i < k - 1; ++i) {  // partial Fisher–Yates
    const auto j = size_t(i) + size_t(uniform_below(rng, std::uint64_t(m - 1 - i)));
    std::swap(cuts[size_t(i)], cuts[j]);
  }
  cuts.resize(size_t(k - 1));
  std::sort(cuts.begin(), cuts.end());
  std::vector<int> parts;
  int prev = 0;
  for (int c : cuts) {
    parts.push_back(c - prev);
    prev = c;
  }
  parts.push_back(m - prev);
  return parts;
}

}  // namespace

SpanMasked mask_spans(const std::vector<std::int32_t>& ids, const SpanMaskOptions& opt,
                      int base_vocab_size, std::mt19937_64& rng) {
  if (!(opt.ratio > 0.0 && opt.ratio <= 1.0))
    throw ConfigError("span masking ratio must be in (0, 1], got " + std::to_string(opt.ratio));
  if (!(opt.mean_span >= 1.0))
    throw ConfigError("span masking mean_span must be ≥ 1, got " + std::to_string(opt.mean_span));
  if (opt.n_sentinels < 1)
    throw ConfigError("span masking needs at least 1 sentinel, got " + std::to_string(opt.n_sentinels));

  SpanMasked out;
  const int n = std::max(0, int(ids.size()) - 2);  // tokens between the two specials
  if (n == 0) {
    out.input_ids = ids;
    out.target_ids = {eos_id(base_vocab_size, opt.n_sentinels)};
    return out;
  }
  const int n_mask = std::clamp(int(std::lround(opt.ratio * n)), 1, n);
  const int n_keep = n - n_mask;
  const int n_span = std::clamp(int(std::lround(n_mask / opt.mean_span)), 1,
                                std::min({n_mask, n_keep + 1, opt.n_sentinels}));

  const std::vector<int> spans = random_composition(n_mask, n_span, rng);
  std::vector<int> gaps = random_composition(n_keep + 2, n_span + 1, rng);
  gaps.front() -= 1;  // outer gaps may be empty
  gaps.back() -= 1;

  out.input_ids.reserve(ids.size() - size_t(n_mask) + size_t(n_span));
  out.target_ids.reserve(size_t(n_mask + n_span + 1));
  out.input_ids.push_back(ids.front());
  size_t pos = 1;
  for (int s = 0; s <= n_span; ++s) {
    for (int g = 0; g < gaps[size_t(s)]; ++g) out.input_ids.push_back(ids[pos++]);
    if (s == n_span) break;
    const int sentinel = sentinel_id(base_vocab_size, s);
    out.input_ids.push_back(sentinel);
    out.target_ids.push_back(sentinel);
    for (int t = 0; t < spans[size_t(s)]; ++t) out.target_ids.push_back(ids[pos++]);
  }
  out.input_ids.push_back(ids.back());
  out.target_ids.push_back(eos_id(base_vocab_size, opt.n_sentinels));
  out.n_masked = n_mask;
  return out;
}

}  // namespace cgdmer
