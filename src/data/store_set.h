// Several shard stores read as one index space, for pretraining on more than one dataset
// (PTB-XL beside LUDB): record i of the set is record i − offset(s) of store s, the stores in
// the order given. A non-owning view: the stores outlive it. The stores must share their
// input (leads, samples per lead and the preprocessing that breaks a model's contract:
// rate, length, lead order, normalisation, resampler), or the model would train on two
// input distributions under one contract. Given the text encoder's tokenizer, a store whose
// token ids another vocabulary made gives its reports in that tokenizer's ids
// (data/report_tokens.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "data/report_tokens.h"
#include "data/shard_store.h"

namespace cgdmer {

// ConfigError naming both stores when `other` holds other input than `first` (shape, or a
// preprocessing difference that breaks a model's contract); `why` ends the message.
void check_same_input(const ShardStore& first, const ShardStore& other, const std::string& why);

class StoreSet {
 public:
  // ConfigError naming both stores when their input differs. text_tokenizer: the text
  // encoder's (outlives the set), or nullptr for the stored ids as they are.
  explicit StoreSet(std::vector<const ShardStore*> stores, const WordPieceTokenizer* text_tokenizer = nullptr);

  std::int64_t size() const { return offsets_.back(); }
  int n_leads() const { return stores_.front()->info().n_leads; }
  int n_samples() const { return stores_.front()->info().n_samples; }
  std::int64_t offset(std::size_t s) const { return offsets_[s]; }
  // (store, record within that store) of set record i.
  std::pair<std::size_t, std::int64_t> locate(std::int64_t i) const;
  // "dir" or "dir1 + dir2": for messages.
  std::string describe() const;

  void read_signal(std::int64_t i, float* out) const;  // thread-safe, as ShardStore's
  std::vector<std::int32_t> token_ids(std::int64_t i) const;  // thread-safe
  // Whether store s's reports are tokenized here (its ids are another vocabulary's).
  bool retokenizes(std::size_t s) const { return tokens_[s].retokenizes(); }

 private:
  std::vector<const ShardStore*> stores_;
  std::vector<std::int64_t> offsets_;  // n_stores + 1 prefix sums of the store sizes
  std::vector<ReportTokens> tokens_;   // one per store
};

}  // namespace cgdmer
