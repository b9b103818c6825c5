// Every code point ≥ U+0080 (1,111,936 of them) through our normaliser + pre-tokenizer as
// the word "a" c "b", compared with Hugging Face `tokenizers` on the same inputs: the HF
// output is stored as one FNV-1a 64 hash per block of 4,096 code points
// (tests/fixtures/text/unicode_sweep_hashes.txt, tools/token_oracle/make_unicode_overrides.sh,
// which also prints the differing code points when regenerated). Exact equality per block.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "text/bert_normalizer.h"
#include "text/bert_pre_tokenizer.h"
#include "text_test_util.h"

namespace cgdmer {
namespace {

std::uint64_t fnv1a(const std::string& data, std::uint64_t h) {
  for (unsigned char b : data) h = (h ^ b) * 0x100000001B3ull;
  return h;
}

TEST(UnicodeSweep, EveryCodePointMatchesHf) {
  std::ifstream f(cgdmer::testing::source_path("tests/fixtures/text/unicode_sweep_hashes.txt"));
  ASSERT_TRUE(f) << "missing fixture";
  std::map<unsigned, std::uint64_t> expected;
  for (std::string line; std::getline(f, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    unsigned block;
    std::string hash;
    ss >> std::hex >> block >> hash;
    expected[block] = std::stoull(hash, nullptr, 16);
  }
  ASSERT_EQ(expected.size(), 272u);

  std::map<unsigned, std::uint64_t> actual;
  for (char32_t c = 0x80; c <= 0x10FFFF; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    const auto pieces = bert_pre_tokenize(bert_normalize(std::u32string{U'a', c, U'b'}));
    std::string joined;
    for (size_t i = 0; i < pieces.size(); ++i) joined += (i ? "\x01" : "") + pieces[i];
    joined += '\x02';
    const unsigned block = unsigned(c >> 12);
    auto it = actual.find(block);
    actual[block] = fnv1a(joined, it == actual.end() ? 0xCBF29CE484222325ull : it->second);
  }
  int bad = 0;
  for (const auto& [block, h] : expected) {
    if (actual[block] != h) {
      ++bad;
      ADD_FAILURE() << "code points U+" << std::hex << (block << 12) << "..U+"
                    << ((block << 12) + 0xFFF) << " differ from HF";
    }
  }
  std::printf("[unicode] %zu blocks, %d differ from HF\n", expected.size(), bad);
}

}  // namespace
}  // namespace cgdmer
