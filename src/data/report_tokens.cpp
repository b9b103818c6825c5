// Implements report_tokens.h.
#include "data/report_tokens.h"

#include <string>

namespace cgdmer {

bool store_tokens_match(const StoreInfo& store, const WordPieceTokenizer& tokenizer) {
  const std::string mine = tokenizer.fingerprint();
  if (!store.tokenizer.empty()) return store.tokenizer == mine;
  static const std::string medcpt = WordPieceTokenizer::medcpt().fingerprint();
  return mine == medcpt;
}

ReportTokens::ReportTokens(const ShardStore& store, const WordPieceTokenizer* tokenizer)
    : store_(&store),
      tokenizer_(tokenizer),
      retokenize_(tokenizer && !store_tokens_match(store.info(), *tokenizer)) {}

std::vector<std::int32_t> ReportTokens::operator()(std::int64_t i) const {
  if (!retokenize_) return store_->token_ids(i);
  const std::string& report = store_->report(i);
  if (report.empty()) return {};  // as prepare: no report, no ids
  const int max_len = store_->info().max_text_len;
  return max_len >= 2 ? tokenizer_->encode(report, max_len, false).ids : tokenizer_->encode(report, true);
}

}  // namespace cgdmer
