// Golden check: our ids equal Hugging Face `tokenizers` (the oracle of
// reference/medcpt/ORACLE.md run on MedCPT's tokenizer.json, truncation off) for every
// PTB-XL report (21,580 reports, 9,8xx distinct, multilingual) and every LUDB header
// diagnosis. Fixture: tests/fixtures/text/medcpt_golden.jsonl, made by
// tools/token_oracle/make_golden.sh (see tests/fixtures/text/README.md). Exact equality.
#include <gtest/gtest.h>

#include "text/tokenizer.h"
#include "text_test_util.h"

namespace cgdmer {
namespace {

void check_golden(const WordPieceTokenizer& tok, const char* what) {
  const auto rows = cgdmer::testing::read_jsonl(cgdmer::testing::source_path("tests/fixtures/text/medcpt_golden.jsonl"));
  ASSERT_GT(rows.size(), 10000u);
  int mismatches = 0;
  for (const auto& r : rows) {
    const std::string text = r["text"];
    const auto expected = r["ids"].get<std::vector<std::int32_t>>();
    const auto actual = tok.encode(text);
    if (actual != expected) {
      if (++mismatches <= 5)
        ADD_FAILURE() << what << ": mismatch for text " << nlohmann::json(text).dump()
                      << "\n  expected " << cgdmer::testing::join_ids(expected)
                      << "\n  actual   " << cgdmer::testing::join_ids(actual);
    }
  }
  std::printf("[golden] %s: %zu texts, %d mismatches\n", what, rows.size(), mismatches);
  EXPECT_EQ(mismatches, 0);
}

TEST(TokenizerGolden, PtbxlAndLudbWithTokenizerJson) {
  check_golden(WordPieceTokenizer::load(cgdmer::testing::shared_path("reference/medcpt/tokenizer.json")),
               "tokenizer.json");
}

TEST(TokenizerGolden, PtbxlAndLudbWithBundledVocab) {
  check_golden(WordPieceTokenizer::load(cgdmer::testing::source_path("assets/medcpt_vocab.txt")),
               "assets/medcpt_vocab.txt");
}

}  // namespace
}  // namespace cgdmer
