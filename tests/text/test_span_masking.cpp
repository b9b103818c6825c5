// Sentinel span masking: structure (reconstruction, sentinels, specials untouched),
// statistics (fraction masked, span lengths, where masks fall), determinism, bad options.
#include <gtest/gtest.h>

#include <map>

#include "core/error.h"
#include "text/span_masking.h"

namespace cgdmer {
namespace {

constexpr int kVocab = 30522, kCls = 2, kSep = 3;

std::vector<std::int32_t> make_ids(int n, std::mt19937_64& rng) {
  std::vector<std::int32_t> ids{kCls};
  for (int i = 0; i < n; ++i) ids.push_back(5 + int(rng() % 30000));
  ids.push_back(kSep);
  return ids;
}

// Puts the target spans back in place of the sentinels; checks the target's layout.
std::vector<std::int32_t> reconstruct(const SpanMasked& m, const SpanMaskOptions& o) {
  std::map<int, std::vector<std::int32_t>> spans;
  int cur = -1, expected_next = 0;
  for (size_t i = 0; i + 1 < m.target_ids.size(); ++i) {
    const int t = m.target_ids[i];
    if (t >= kVocab && t < kVocab + o.n_sentinels) {
      cur = t - kVocab;
      EXPECT_EQ(cur, expected_next++) << "sentinels in order <s0> <s1> ...";
      spans[cur];
    } else {
      EXPECT_GE(cur, 0) << "target starts with a sentinel";
      spans[cur].push_back(t);
    }
  }
  EXPECT_EQ(m.target_ids.back(), eos_id(kVocab, o.n_sentinels));
  std::vector<std::int32_t> out;
  for (int t : m.input_ids) {
    if (t >= kVocab) {
      const auto& s = spans.at(t - kVocab);
      EXPECT_FALSE(s.empty()) << "no empty spans";
      out.insert(out.end(), s.begin(), s.end());
    } else {
      out.push_back(t);
    }
  }
  return out;
}

TEST(SpanMasking, ReconstructsExactlyAndKeepsSpecials) {
  std::mt19937_64 data_rng(1), rng(7);
  SpanMaskOptions o;
  for (int n = 1; n <= 120; ++n) {
    for (int rep = 0; rep < 5; ++rep) {
      const auto ids = make_ids(n, data_rng);
      const SpanMasked m = mask_spans(ids, o, kVocab, rng);
      SCOPED_TRACE("n=" + std::to_string(n));
      ASSERT_EQ(reconstruct(m, o), ids);
      EXPECT_EQ(m.input_ids.front(), kCls);
      EXPECT_EQ(m.input_ids.back(), kSep);
      EXPECT_GE(m.n_masked, 1);
      // Masked count = target minus sentinels minus <eos>.
      int n_sent = 0;
      for (int t : m.input_ids) n_sent += t >= kVocab;
      EXPECT_EQ(int(m.target_ids.size()) - n_sent - 1, m.n_masked);
      // No two sentinels adjacent (spans are separated by at least one kept token).
      for (size_t i = 1; i < m.input_ids.size(); ++i)
        EXPECT_FALSE(m.input_ids[i] >= kVocab && m.input_ids[i - 1] >= kVocab);
    }
  }
}

TEST(SpanMasking, EmptyAndSpecialOnlyInputs) {
  std::mt19937_64 rng(3);
  const SpanMasked m = mask_spans({kCls, kSep}, SpanMaskOptions{}, kVocab, rng);
  EXPECT_EQ(m.input_ids, (std::vector<std::int32_t>{kCls, kSep}));
  EXPECT_EQ(m.target_ids, std::vector<std::int32_t>{eos_id(kVocab, 100)});
  EXPECT_EQ(m.n_masked, 0);
  const SpanMasked one = mask_spans({kCls, 77, kSep}, SpanMaskOptions{}, kVocab, rng);
  EXPECT_EQ(one.input_ids, (std::vector<std::int32_t>{kCls, kVocab, kSep}));
  EXPECT_EQ(one.target_ids, (std::vector<std::int32_t>{kVocab, 77, kVocab + 100}));
}

// Statistics over 2,000 sequences of 40–300 tokens. The count per sequence is
// round(0.15 n), so the pooled fraction is within 0.5/40 of 0.15 by construction; the span
// count is round(n_mask / 3), so the pooled mean span length is within rounding of 3
// (measured 2.9–3.1; tolerance ±0.15). Placement is random: every tenth of the sequence
// gets 15 % ± 1.5 % of its tokens masked (binomial sd over ~5,000 draws per decile ≈ 0.5 %).
TEST(SpanMasking, FractionAndSpanLengthStatistics) {
  std::mt19937_64 data_rng(11), rng(12);
  SpanMaskOptions o;  // 0.15, mean 3
  long masked = 0, total = 0, spans = 0;
  std::vector<long> decile_masked(10, 0), decile_total(10, 0);
  for (int s = 0; s < 2000; ++s) {
    const int n = 40 + int(data_rng() % 261);
    auto ids = make_ids(n, data_rng);
    for (int i = 1; i <= n; ++i) ids[size_t(i)] = 100000 + i;  // position tags
    const SpanMasked m = mask_spans(ids, o, kVocab, rng);
    masked += m.n_masked;
    total += n;
    for (int t : m.input_ids) spans += t >= kVocab && t < kVocab + o.n_sentinels;
    std::vector<bool> is_masked(size_t(n) + 1, false);
    for (int t : m.target_ids)
      if (t >= 100000) is_masked[size_t(t - 100000)] = true;
    for (int i = 1; i <= n; ++i) {
      const int d = (i - 1) * 10 / n;
      decile_total[size_t(d)]++;
      decile_masked[size_t(d)] += is_masked[size_t(i)];
    }
  }
  const double frac = double(masked) / double(total);
  const double mean_span = double(masked) / double(spans);
  std::printf("[masking] fraction %.4f, mean span %.3f\n", frac, mean_span);
  EXPECT_NEAR(frac, 0.15, 0.0125);
  EXPECT_NEAR(mean_span, 3.0, 0.15);
  for (int d = 0; d < 10; ++d)
    EXPECT_NEAR(double(decile_masked[size_t(d)]) / double(decile_total[size_t(d)]), 0.15, 0.015)
        << "decile " << d;
}

TEST(SpanMasking, OtherRatioAndSpanLength) {
  std::mt19937_64 data_rng(5), rng(6);
  SpanMaskOptions o;
  o.ratio = 0.3;
  o.mean_span = 5.0;
  long masked = 0, total = 0, spans = 0;
  for (int s = 0; s < 500; ++s) {
    const auto ids = make_ids(200, data_rng);
    const SpanMasked m = mask_spans(ids, o, kVocab, rng);
    ASSERT_EQ(reconstruct(m, o), ids);
    masked += m.n_masked;
    total += 200;
    for (int t : m.input_ids) spans += t >= kVocab;
  }
  EXPECT_NEAR(double(masked) / double(total), 0.3, 0.005);
  EXPECT_NEAR(double(masked) / double(spans), 5.0, 0.1);  // 60 masked in 12 spans
}

TEST(SpanMasking, SameSeedSameOutputDifferentSeedDiffers) {
  std::mt19937_64 data_rng(9);
  const auto ids = make_ids(100, data_rng);
  std::mt19937_64 a(42), b(42), c(43);
  const auto ma = mask_spans(ids, SpanMaskOptions{}, kVocab, a);
  const auto mb = mask_spans(ids, SpanMaskOptions{}, kVocab, b);
  const auto mc = mask_spans(ids, SpanMaskOptions{}, kVocab, c);
  EXPECT_EQ(ma.input_ids, mb.input_ids);
  EXPECT_EQ(ma.target_ids, mb.target_ids);
  EXPECT_NE(ma.input_ids, mc.input_ids);
}

TEST(SpanMasking, SentinelLimitCapsSpanCount) {
  std::mt19937_64 data_rng(2), rng(3);
  SpanMaskOptions o;
  o.n_sentinels = 2;
  o.mean_span = 1.0;
  const auto ids = make_ids(200, data_rng);
  const SpanMasked m = mask_spans(ids, o, kVocab, rng);
  int n_sent = 0;
  for (int t : m.input_ids) n_sent += t >= kVocab;
  EXPECT_EQ(n_sent, 2);
  EXPECT_EQ(m.n_masked, 30);
  EXPECT_EQ(reconstruct(m, o), ids);
}

TEST(SpanMasking, BadOptionsThrow) {
  std::mt19937_64 rng(1);
  const std::vector<std::int32_t> ids{kCls, 10, 11, kSep};
  SpanMaskOptions o;
  o.ratio = 0.0;
  EXPECT_THROW(mask_spans(ids, o, kVocab, rng), ConfigError);
  o = SpanMaskOptions{};
  o.mean_span = 0.5;
  EXPECT_THROW(mask_spans(ids, o, kVocab, rng), ConfigError);
  o = SpanMaskOptions{};
  o.n_sentinels = 0;
  EXPECT_THROW(mask_spans(ids, o, kVocab, rng), ConfigError);
}

}  // namespace
}  // namespace cgdmer
