// Implements store_set.h.
#include "data/store_set.h"

#include <algorithm>

#include "core/error.h"
#include "data/preprocess_contract.h"

namespace cgdmer {

void check_same_input(const ShardStore& first, const ShardStore& other, const std::string& why) {
  const StoreInfo& a = first.info();
  const StoreInfo& b = other.info();
  if (b.n_leads != a.n_leads || b.n_samples != a.n_samples)
    throw ConfigError(other.dir() + " holds " + std::to_string(b.n_leads) + " leads × " +
                          std::to_string(b.n_samples) + " samples, " + first.dir() + " " +
                          std::to_string(a.n_leads) + " × " + std::to_string(a.n_samples) + ": " + why,
                      "prepare every store with the same --rate and --seconds");
  if (!a.preprocessing_settings.empty() && !b.preprocessing_settings.empty()) {
    const std::string breaking =
        describe_differences(compare_preprocess_settings(a.preprocessing_settings, b.preprocessing_settings), true);
    if (!breaking.empty())
      throw ConfigError(first.dir() + " and " + other.dir() + " were prepared differently (" + breaking + "): " + why,
                        "prepare every store with the same --rate, --seconds, --norm and leads");
  }
}

StoreSet::StoreSet(std::vector<const ShardStore*> stores, const WordPieceTokenizer* text_tokenizer)
    : stores_(std::move(stores)) {
  if (stores_.empty()) throw ConfigError("no store given");
  offsets_.push_back(0);
  const ShardStore& first = *stores_.front();
  for (const ShardStore* s : stores_) {
    check_same_input(first, *s, "stores trained on together must hold the same input");
    for (const ShardStore* t : stores_)
      if (t != s && t->dir() == s->dir()) throw ConfigError(s->dir() + " is given twice");
    offsets_.push_back(offsets_.back() + s->size());
    tokens_.emplace_back(*s, text_tokenizer);
  }
}

std::pair<std::size_t, std::int64_t> StoreSet::locate(std::int64_t i) const {
  if (i < 0 || i >= size())
    throw ConfigError("record " + std::to_string(i) + " outside " + describe() + " (" +
                      std::to_string(size()) + " records)");
  // The first offset above i closes the store that holds i.
  const auto above = std::upper_bound(offsets_.begin(), offsets_.end(), i);
  const std::size_t s = std::size_t(above - offsets_.begin()) - 1;
  return {s, i - offsets_[s]};
}

std::string StoreSet::describe() const {
  std::string d;
  for (const ShardStore* s : stores_) d += (d.empty() ? "" : " + ") + s->dir();
  return d;
}

void StoreSet::read_signal(std::int64_t i, float* out) const {
  const auto [s, r] = locate(i);
  stores_[s]->read_signal(r, out);
}

std::vector<std::int32_t> StoreSet::token_ids(std::int64_t i) const {
  const auto [s, r] = locate(i);
  return tokens_[s](r);
}

}  // namespace cgdmer
