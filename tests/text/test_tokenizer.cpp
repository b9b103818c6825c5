// WordPieceTokenizer against the Hugging Face oracle samples (../shared/reference/*/
// oracle-sample.jsonl, made with HF `tokenizers`, see reference/medcpt/ORACLE.md) and the
// behaviours ORACLE.md §3–4 pins down: truncation keeps [SEP] last, padding with [PAD]=0,
// special tokens typed in the text, vocabulary files with odd lines, bad input.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "core/error.h"
#include "text/bert_normalizer.h"
#include "text/tokenizer.h"
#include "text/utf8.h"
#include "text_test_util.h"

namespace cgdmer {
namespace {

using cgdmer::testing::read_jsonl;
using cgdmer::testing::shared_path;

const WordPieceTokenizer& medcpt_json() {
  static const WordPieceTokenizer t =
      WordPieceTokenizer::load(shared_path("reference/medcpt/tokenizer.json"));
  return t;
}

void check_samples(const WordPieceTokenizer& tok, const std::string& jsonl) {
  const auto rows = read_jsonl(jsonl);
  ASSERT_EQ(rows.size(), 15u) << jsonl;
  for (const auto& r : rows) {
    const std::string text = r["text"];
    SCOPED_TRACE(text.substr(0, 60));
    EXPECT_EQ(tok.encode(text), r["ids"].get<std::vector<std::int32_t>>());
    // The word pieces too (the oracle's tokens without [CLS]/[SEP]).
    auto tokens = r["tokens"].get<std::vector<std::string>>();
    tokens = std::vector<std::string>(tokens.begin() + 1, tokens.end() - 1);
    EXPECT_EQ(tok.tokenize(text), tokens);
    // And the normaliser alone, on the oracle's normalized string.
    EXPECT_EQ(encode_utf8(bert_normalize(decode_utf8(text))), r["normalized"].get<std::string>());
  }
}

TEST(Tokenizer, MedcptOracleSamplesFromTokenizerJson) {
  check_samples(medcpt_json(), shared_path("reference/medcpt/oracle-sample.jsonl"));
}

TEST(Tokenizer, MedcptOracleSamplesFromBundledVocab) {
  check_samples(WordPieceTokenizer::load(cgdmer::testing::source_path("assets/medcpt_vocab.txt")),
                shared_path("reference/medcpt/oracle-sample.jsonl"));
}

TEST(Tokenizer, BertBaseUncasedOracleSamples) {
  const auto tok = WordPieceTokenizer::load(shared_path("reference/bert-base-uncased/vocab.txt"));
  EXPECT_EQ(tok.cls_id(), 101);
  EXPECT_EQ(tok.sep_id(), 102);
  EXPECT_EQ(tok.unk_id(), 100);
  check_samples(tok, shared_path("reference/bert-base-uncased/oracle-sample.jsonl"));
}

TEST(Tokenizer, BundledVocabMatchesTokenizerJson) {
  const auto a = WordPieceTokenizer::load(cgdmer::testing::source_path("assets/medcpt_vocab.txt"));
  const auto& b = medcpt_json();
  ASSERT_EQ(a.vocab_size(), 30522);
  ASSERT_EQ(b.vocab_size(), 30522);
  for (int i = 0; i < a.vocab_size(); ++i) ASSERT_EQ(a.id_to_token(i), b.id_to_token(i)) << i;
  EXPECT_EQ(a.pad_id(), 0);
  EXPECT_EQ(a.unk_id(), 1);
  EXPECT_EQ(a.cls_id(), 2);
  EXPECT_EQ(a.sep_id(), 3);
  EXPECT_EQ(a.mask_id(), 4);
  // Entries made of format characters keep their line's id (U+200B is id 222, ORACLE.md).
  EXPECT_EQ(a.token_to_id("\u200b"), 222);
  EXPECT_EQ(a.token_to_id("zns"), 30521);
}

// ORACLE.md §4: tokenizer.json with truncation 64 keeps [SEP] last; BatchLongest padding
// pads [PAD]=0 on the right with mask 0.
TEST(Tokenizer, TruncationAndPadding) {
  const auto& tok = medcpt_json();
  std::string long_text;
  for (int i = 0; i < 450; ++i) long_text += "sinus rhythm. ";
  const auto full = tok.encode(long_text);
  ASSERT_EQ(full.size(), 1352u);  // 450 × (sinus, rhythm, .) + 2
  const Encoding e = tok.encode(long_text, 64, true);
  ASSERT_EQ(e.ids.size(), 64u);
  EXPECT_EQ(std::vector<std::int32_t>(e.ids.end() - 3, e.ids.end()),
            (std::vector<std::int32_t>{9414, 11529, 3}));
  EXPECT_EQ(e.attention_mask, std::vector<std::int32_t>(64, 1));
  const Encoding p = tok.encode("diabetes treatment", 7, true);
  EXPECT_EQ(p.ids, (std::vector<std::int32_t>{2, 4032, 2311, 3, 0, 0, 0}));
  EXPECT_EQ(p.attention_mask, (std::vector<std::int32_t>{1, 1, 1, 1, 0, 0, 0}));
  const Encoding np = tok.encode("diabetes treatment", 7, false);
  EXPECT_EQ(np.ids, (std::vector<std::int32_t>{2, 4032, 2311, 3}));
  EXPECT_THROW(tok.encode("x", 1, true), ConfigError);
}

// HF matches its special tokens on the raw text before normalisation (case-sensitive):
// oracle output for "[CLS] x [mask]" is 2 2 66 37 8861 39 3.
TEST(Tokenizer, SpecialTokensInRawText) {
  EXPECT_EQ(medcpt_json().encode("[CLS] x [mask]"),
            (std::vector<std::int32_t>{2, 2, 66, 37, 8861, 39, 3}));
  EXPECT_EQ(medcpt_json().encode("ab[SEP]cd", false), medcpt_json().encode("ab [SEP] cd", false));
}

TEST(Tokenizer, InvalidUtf8IsSafeAndDropped) {
  const auto& tok = medcpt_json();
  // Ill-formed bytes become U+FFFD, which clean_text removes: the word closes up around it.
  EXPECT_EQ(tok.encode("sin\xffus"), tok.encode("sinus"));
  EXPECT_EQ(tok.encode("ecg \xC0\xAF\xED\xA0\x80\xF4\x90\x80\x80"), tok.encode("ecg"));
  EXPECT_EQ(tok.encode("ecg \xE2\x82"), tok.encode("ecg"));  // truncated sequence at the end
  // Every single byte value alone: no crash, always [CLS] ... [SEP].
  for (int b = 0; b < 256; ++b) {
    const auto ids = tok.encode(std::string(1, char(b)));
    ASSERT_GE(ids.size(), 2u);
    EXPECT_EQ(ids.front(), 2);
    EXPECT_EQ(ids.back(), 3);
  }
}

TEST(Utf8, DecodeReplacesMaximalSubparts) {
  EXPECT_EQ(decode_utf8("a\xC3\xA4z"), (std::u32string{U'a', 0xE4, U'z'}));
  EXPECT_EQ(decode_utf8("\xF0\x9F\x98\x80"), std::u32string(1, char32_t(0x1F600)));
  // E1 80 41: truncated 3-byte sequence (one U+FFFD) then 'A'; C0 AF: two bad bytes.
  EXPECT_EQ(decode_utf8("\xE1\x80\x41"), (std::u32string{0xFFFD, U'A'}));
  EXPECT_EQ(decode_utf8("\xC0\xAF"), (std::u32string{0xFFFD, 0xFFFD}));
  EXPECT_TRUE(is_valid_utf8("ok \xEF\xBF\xBD"));
  EXPECT_FALSE(is_valid_utf8("bad \xED\xA0\x80"));
  EXPECT_EQ(encode_utf8(decode_utf8("Veränderungen 心电图 😀")), "Veränderungen 心电图 😀");
}

TEST(Tokenizer, MaxCharsPerWord) {
  const auto& tok = medcpt_json();
  EXPECT_EQ(tok.encode(std::string(100, 'a'), false).size() > 1, true);  // 100 chars: pieces
  EXPECT_EQ(tok.encode(std::string(101, 'a'), false), std::vector<std::int32_t>{1});
  // Counted in characters, not bytes: 60 × "ä" (120 bytes, 60 chars) is not [UNK]-by-length.
  std::string umlauts;
  for (int i = 0; i < 60; ++i) umlauts += "\xC3\xA4";
  EXPECT_NE(tok.encode(umlauts, false), std::vector<std::int32_t>{1});
}

TEST(Tokenizer, UnmatchedPieceMakesWholeWordUnk) {
  // "a\u0378" (U+0378 unassigned → removed by clean_text) vs. a word with a piece no entry
  // covers: "电" alone is [UNK]; in a vocabulary with "ab" but no "##c", "abc" → [UNK].
  const auto t = WordPieceTokenizer::from_vocab_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\nab\n##d\nc\n", "mem");
  EXPECT_EQ(t.encode("abc", false), std::vector<std::int32_t>{1});
  EXPECT_EQ(t.encode("abd c", false), (std::vector<std::int32_t>{4, 5, 6}));
  EXPECT_EQ(t.tokenize("abd c"), (std::vector<std::string>{"ab", "##d", "c"}));
}

TEST(Tokenizer, VocabTextSplitsOnNewlineOnly) {
  // \r at line end is trimmed (HF reads lines, then trim_end); U+2028 and U+0085 inside an
  // entry do not end it; a trailing line without '\n' counts.
  const std::string text =
      "[PAD]\r\n[UNK]\n[CLS]\n[SEP]\nx\xE2\x80\xA8y\n\x01z\nlast";
  const auto t = WordPieceTokenizer::from_vocab_text(text, "mem");
  EXPECT_EQ(t.vocab_size(), 7);
  EXPECT_EQ(t.pad_id(), 0);
  EXPECT_EQ(t.token_to_id("x\xE2\x80\xA8y"), 4);
  EXPECT_EQ(t.token_to_id("\x01z"), 5);
  EXPECT_EQ(t.token_to_id("last"), 6);
  EXPECT_EQ(t.mask_id(), -1);
}

TEST(Tokenizer, BadVocabularyFiles) {
  EXPECT_THROW(WordPieceTokenizer::load("/nonexistent/vocab.txt"), IoError);
  try {
    WordPieceTokenizer::from_vocab_text("a\nb\n", "v.txt");
    FAIL() << "no error";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("v.txt"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("[UNK]"), std::string::npos);
  }
  EXPECT_THROW(WordPieceTokenizer::from_vocab_text("", "v.txt"), FormatError);
  EXPECT_THROW(WordPieceTokenizer::from_vocab_text("[PAD]\n\xff\n", "v.txt"), FormatError);
  EXPECT_THROW(WordPieceTokenizer::from_tokenizer_json("{not json", "t.json"), FormatError);
  EXPECT_THROW(WordPieceTokenizer::from_tokenizer_json("{\"model\": {\"type\": \"BPE\"}}", "t.json"),
               FormatError);
  EXPECT_THROW(WordPieceTokenizer::from_tokenizer_json(
                   R"({"normalizer": {"type": "BertNormalizer", "lowercase": false},
                       "model": {"vocab": {"[UNK]": 0}}})",
                   "t.json"),
               FormatError);
}

TEST(Tokenizer, LoadsModelFolder) {
  const auto t = WordPieceTokenizer::load(shared_path("reference/bert-base-uncased"));
  EXPECT_EQ(t.cls_id(), 101);
}

}  // namespace
}  // namespace cgdmer
