// A store's report token ids as the text encoder's tokenizer makes them (data/report_tokens.h):
// a store of MedCPT ids read for a text encoder with another vocabulary of the same size
// (bert-base-uncased, 30,522 tokens, as all-MiniLM-L6-v2 has) gives that vocabulary's ids of
// each report, through ReportTokens and through a StoreSet; a store's own tokenizer, or MedCPT
// for a store that does not say, gives the stored ids untouched.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "data/report_tokens.h"
#include "data/shard_writer.h"
#include "data/store_set.h"
#include "shared_data.h"
#include "synthetic_store.h"
#include "text/tokenizer.h"

using namespace cgdmer;
using namespace cgdmer::testing;

namespace {

const std::vector<std::string> kReports = {
    "sinus rhythm. left axis deviation. incomplete right bundle branch block.",
    "sinusrhythmus linkstyp st-senkung in v5 und v6",
    "",  // a record without a report has no ids, whoever tokenizes
    "atrial fibrillation with rapid ventricular response; lvh with repolarisation abnormality."};

const WordPieceTokenizer& medcpt() {
  static const WordPieceTokenizer t = WordPieceTokenizer::medcpt();
  return t;
}
const WordPieceTokenizer& bert_base() {
  static const WordPieceTokenizer t = WordPieceTokenizer::load(shared_path("reference/bert-base-uncased/vocab.txt"));
  return t;
}

// A store of kReports tokenized as prepare does (MedCPT, max_text_len 12), recording
// `fingerprint` in store.json ("" = a store written before the field existed).
std::string write_report_store(const std::string& name, const std::string& fingerprint) {
  const std::string dir = temp_dir(name);
  StoreLayout l = synthetic_layout(12, 20);
  l.max_text_len = 12;
  l.tokenizer = fingerprint;
  ShardWriter w = ShardWriter::create(dir, l);
  std::vector<float> sig(12 * 20, 0.5f);
  for (std::size_t i = 0; i < kReports.size(); ++i) {
    StoreRecordMeta m = synthetic_meta(std::int64_t(i));
    m.report = kReports[i];
    m.tokens = kReports[i].empty() ? std::vector<std::int32_t>{} : medcpt().encode(kReports[i], 12, false).ids;
    w.append(sig.data(), m);
  }
  w.commit();
  return dir;
}

}  // namespace

TEST(ReportTokens, FingerprintsTellVocabulariesApart) {
  EXPECT_EQ(medcpt().fingerprint(), WordPieceTokenizer::medcpt().fingerprint());
  EXPECT_EQ(medcpt().fingerprint().size(), 16u);
  ASSERT_EQ(bert_base().vocab_size(), medcpt().vocab_size()) << "the case this guards: equal sizes";
  EXPECT_NE(medcpt().fingerprint(), bert_base().fingerprint());
  // The bundled vocabulary and MedCPT's tokenizer.json give the same ids: one fingerprint.
  EXPECT_EQ(WordPieceTokenizer::load(shared_path("reference/medcpt/tokenizer.json")).fingerprint(),
            medcpt().fingerprint());
}

TEST(ReportTokens, AnotherVocabularyReadsTheReportsThroughItsOwnTokenizer) {
  const std::string dir = write_report_store("rt_medcpt", medcpt().fingerprint());
  const ShardStore s = ShardStore::open(dir);
  ASSERT_EQ(s.info().tokenizer, medcpt().fingerprint());
  ASSERT_EQ(s.info().max_text_len, 12);

  const ReportTokens own(s, &medcpt()), stored(s, nullptr), other(s, &bert_base());
  EXPECT_FALSE(own.retokenizes());
  EXPECT_FALSE(stored.retokenizes());
  EXPECT_TRUE(other.retokenizes());
  for (std::size_t i = 0; i < kReports.size(); ++i) {
    SCOPED_TRACE(kReports[i]);
    EXPECT_EQ(own(std::int64_t(i)), s.token_ids(std::int64_t(i)));
    EXPECT_EQ(stored(std::int64_t(i)), s.token_ids(std::int64_t(i)));
    if (kReports[i].empty()) {
      EXPECT_TRUE(other(std::int64_t(i)).empty());
      continue;
    }
    const auto want = bert_base().encode(kReports[i], 12, false).ids;  // truncated as prepare does
    EXPECT_EQ(other(std::int64_t(i)), want);
    EXPECT_EQ(want.front(), 101);  // bert-base's [CLS]; MedCPT's is 2
    EXPECT_EQ(want.back(), 102);
    EXPECT_NE(other(std::int64_t(i)), s.token_ids(std::int64_t(i)));
  }

  // Through a StoreSet (the pretraining loader's view), store by store.
  const std::string plain = write_synthetic_store(temp_dir("rt_plain"), 3, 12, 20);
  const ShardStore p = ShardStore::open(plain);
  const StoreSet set({&s, &p}, &bert_base());
  EXPECT_TRUE(set.retokenizes(0));
  EXPECT_TRUE(set.retokenizes(1));  // synthetic ids, no fingerprint: taken as MedCPT's, not bert-base's
  EXPECT_EQ(set.token_ids(0), bert_base().encode(kReports[0], 12, false).ids);
  EXPECT_EQ(set.token_ids(4 + 2), bert_base().encode("report 2", 8, false).ids);
  const StoreSet as_stored({&s, &p});
  EXPECT_EQ(as_stored.token_ids(0), s.token_ids(0));
  EXPECT_EQ(as_stored.token_ids(4 + 2), (std::vector<std::int32_t>{101, 2, 102}));
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(plain);
}

TEST(ReportTokens, AStoreThatDoesNotNameItsTokenizerIsTakenAsMedcpts) {
  const std::string dir = write_report_store("rt_legacy", "");
  const ShardStore s = ShardStore::open(dir);
  ASSERT_EQ(s.info().tokenizer, "");
  EXPECT_FALSE(ReportTokens(s, &medcpt()).retokenizes());
  EXPECT_TRUE(ReportTokens(s, &bert_base()).retokenizes());
  EXPECT_EQ(ReportTokens(s, &bert_base())(1), bert_base().encode(kReports[1], 12, false).ids);
  // A store that names another tokenizer than the text encoder's is re-read even for MedCPT.
  const std::string other = write_report_store("rt_other", bert_base().fingerprint());
  const ShardStore o = ShardStore::open(other);
  EXPECT_TRUE(ReportTokens(o, &medcpt()).retokenizes());
  EXPECT_EQ(ReportTokens(o, &medcpt())(0), medcpt().encode(kReports[0], 12, false).ids);
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(other);
}
