// WordPieceTokenizer encoding: raw-text special tokens → BertNormalizer → BertPreTokenizer →
// greedy longest-match WordPiece (HF tokenizers' models/wordpiece) → [CLS] ... [SEP].
#include "text/tokenizer.h"

#include "core/error.h"
#include "core/fnv1a.h"
#include "text/bert_normalizer.h"
#include "text/bert_pre_tokenizer.h"
#include "text/utf8.h"

namespace cgdmer {

int WordPieceTokenizer::token_to_id(const std::string& token) const {
  auto it = index_.find(token);
  return it == index_.end() ? -1 : it->second;
}

void WordPieceTokenizer::append_word_ids(const std::string& word, std::vector<std::int32_t>& ids,
                                         std::vector<std::string>* pieces) const {
  auto push_unk = [&] {
    ids.push_back(unk_);
    if (pieces) pieces->push_back(unk_token_);
  };
  int n_chars = 0;
  for (unsigned char c : word) n_chars += (c & 0xC0) != 0x80;
  if (n_chars > max_input_chars_per_word_) return push_unk();

  const size_t first = ids.size();
  const size_t first_piece = pieces ? pieces->size() : 0;
  std::string key;
  size_t start = 0;
  while (start < word.size()) {
    size_t end = word.size();
    int found = -1;
    while (start < end) {
      if (start > 0) key = prefix_; else key.clear();
      key.append(word, start, end - start);
      auto it = index_.find(key);
      if (it != index_.end()) {
        found = it->second;
        break;
      }
      do --end; while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80);
    }
    if (found < 0) {  // a piece nobody matches: the whole word is [UNK]
      ids.resize(first);
      if (pieces) pieces->resize(first_piece);
      return push_unk();
    }
    ids.push_back(found);
    if (pieces) pieces->push_back(key);
    start = end;
  }
}

void WordPieceTokenizer::append_segment_ids(std::string_view text, std::vector<std::int32_t>& ids,
                                            std::vector<std::string>* pieces) const {
  for (const std::string& word : bert_pre_tokenize(bert_normalize(decode_utf8(text))))
    append_word_ids(word, ids, pieces);
}

namespace {

// Splits the raw text at special tokens (leftmost, longest first) and calls `segment` for
// the text between them and `special` for each match.
template <typename Seg, typename Spec>
void split_specials(std::string_view text, const std::vector<std::pair<std::string, int>>& specials,
                    Seg segment, Spec special) {
  size_t seg_start = 0, i = 0;
  while (i < text.size()) {
    int best = -1;
    size_t best_len = 0;
    for (size_t k = 0; k < specials.size(); ++k) {
      const std::string& s = specials[k].first;
      if (s.size() > best_len && text.compare(i, s.size(), s) == 0) {
        best = int(k);
        best_len = s.size();
      }
    }
    if (best < 0 || best_len == 0) {
      ++i;
      continue;
    }
    if (i > seg_start) segment(text.substr(seg_start, i - seg_start));
    special(specials[size_t(best)]);
    i += best_len;
    seg_start = i;
  }
  if (seg_start < text.size()) segment(text.substr(seg_start));
}

}  // namespace

std::vector<std::int32_t> WordPieceTokenizer::encode(const std::string& text,
                                                     bool add_special_tokens) const {
  std::vector<std::int32_t> ids;
  ids.reserve(text.size() / 3 + 2);
  if (add_special_tokens) ids.push_back(cls_);
  split_specials(
      text, raw_specials_, [&](std::string_view seg) { append_segment_ids(seg, ids, nullptr); },
      [&](const std::pair<std::string, int>& sp) { ids.push_back(sp.second); });
  if (add_special_tokens) ids.push_back(sep_);
  return ids;
}

Encoding WordPieceTokenizer::encode(const std::string& text, int max_len, bool pad) const {
  if (max_len < 2)
    throw ConfigError("tokenizer max_len must be at least 2 ([CLS] and [SEP]), got " +
                      std::to_string(max_len));
  Encoding e;
  e.ids = encode(text, true);
  if (int(e.ids.size()) > max_len) {  // drop the tail of the text, keep [SEP] last
    e.ids.resize(size_t(max_len));
    e.ids.back() = sep_;
  }
  e.attention_mask.assign(e.ids.size(), 1);
  if (pad) {
    e.ids.resize(size_t(max_len), pad_);
    e.attention_mask.resize(size_t(max_len), 0);
  }
  return e;
}

std::vector<std::string> WordPieceTokenizer::tokenize(const std::string& text) const {
  std::vector<std::string> pieces;
  std::vector<std::int32_t> ids;
  split_specials(
      text, raw_specials_, [&](std::string_view seg) { append_segment_ids(seg, ids, &pieces); },
      [&](const std::pair<std::string, int>& sp) { pieces.push_back(sp.first); });
  return pieces;
}

std::string WordPieceTokenizer::fingerprint() const {
  Fnv1a64 h;
  auto field = [&](const std::string& s) { h.update(s.data(), s.size()).update("\n", 1); };
  field("wordpiece-1");  // the version of this digest's layout
  field(std::to_string(vocab_.size()));
  for (const std::string& t : vocab_) field(t);
  field(unk_token_);
  field(prefix_);
  field(std::to_string(max_input_chars_per_word_));
  for (const auto& [text, id] : raw_specials_) field(text + "=" + std::to_string(id));
  return hex64(h.digest());
}

}  // namespace cgdmer
