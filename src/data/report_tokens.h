// A store's report token ids as the text encoder's own tokenizer makes them. `prepare`
// tokenizes every report once (MedCPT's vocabulary unless --vocab) and the store keeps those
// ids; a text encoder with another vocabulary (text.hf_weights: all-MiniLM, BERT-base, ...)
// would otherwise train on the wrong vocabulary's ids without any error, since many BERT
// vocabularies share MedCPT's size (30,522). The store's ids are used where they are the
// tokenizer's own (store.json's "tokenizer" fingerprint equals tokenizer.fingerprint(); a store
// written before that field is taken as MedCPT's, the only vocabulary prepare used by default);
// otherwise the report text is tokenized here, truncated as prepare truncates.
#pragma once

#include <cstdint>
#include <vector>

#include "data/shard_store.h"
#include "text/tokenizer.h"

namespace cgdmer {

// Whether `store`'s token ids are the ids `tokenizer` gives its reports.
bool store_tokens_match(const StoreInfo& store, const WordPieceTokenizer& tokenizer);

class ReportTokens {
 public:
  // tokenizer == nullptr: the stored ids as they are. Both must outlive this object.
  ReportTokens(const ShardStore& store, const WordPieceTokenizer* tokenizer);

  // True when the store's ids are not the tokenizer's and reports are tokenized here.
  bool retokenizes() const { return retokenize_; }
  // Record i's ids, [CLS] ... [SEP], empty for an empty report. Thread-safe.
  std::vector<std::int32_t> operator()(std::int64_t i) const;

 private:
  const ShardStore* store_;
  const WordPieceTokenizer* tokenizer_;
  bool retokenize_ = false;
};

}  // namespace cgdmer
