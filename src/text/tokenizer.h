// BERT WordPiece tokenizer, identical to Hugging Face's BertTokenizer / `tokenizers` BERT
// pipeline for an uncased vocabulary (MedCPT / PubMedBERT): clean-up of control characters,
// CJK splitting, lower-casing, accent stripping via NFD (utf8proc), punctuation splitting,
// greedy longest-match WordPiece with "##", words over 100 chars → [UNK], [CLS]/[SEP].
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <unordered_map>
#include <vector>

namespace cgdmer {

struct Encoding {
  std::vector<std::int32_t> ids;             // (T)
  std::vector<std::int32_t> attention_mask;  // (T), 1 = real token, 0 = padding
};

class WordPieceTokenizer {
 public:
  // vocab.txt (one token per line, split on '\n' only, trailing whitespace trimmed as HF's
  // WordPiece::read_file does), tokenizer.json (model.vocab, added special tokens), or a
  // directory holding one of them (tokenizer.json preferred). Throws IoError/FormatError.
  static WordPieceTokenizer load(const std::string& path);
  static WordPieceTokenizer from_vocab_text(const std::string& text, const std::string& path);
  // A Hugging Face tokenizer.json holding a BERT (uncased) WordPiece pipeline.
  static WordPieceTokenizer from_tokenizer_json(const std::string& text, const std::string& path);
  // The bundled MedCPT vocabulary (assets/medcpt_vocab.txt).
  static WordPieceTokenizer medcpt();

  // Token ids of `text`; with specials: [CLS] ... [SEP]. No truncation.
  std::vector<std::int32_t> encode(const std::string& text, bool add_special_tokens = true) const;
  // Truncated to max_len (keeping [SEP] last) and, if pad, padded with [PAD] to max_len.
  Encoding encode(const std::string& text, int max_len, bool pad) const;
  std::vector<std::string> tokenize(const std::string& text) const;  // word pieces, no specials

  int vocab_size() const { return int(vocab_.size()); }
  int token_to_id(const std::string& token) const;  // -1 when absent
  const std::string& id_to_token(int id) const { return vocab_.at(id); }
  int cls_id() const { return cls_; }
  int sep_id() const { return sep_; }
  int pad_id() const { return pad_; }
  int unk_id() const { return unk_; }
  int mask_id() const { return mask_; }
  // Identifies what encode() does: FNV-1a-64 (16 hex digits) of the vocabulary in id order,
  // the [UNK] token, the subword prefix, the word-length limit and the raw-text specials. Two
  // tokenizers with equal fingerprints give equal ids for every text; a store records the
  // fingerprint of the tokenizer that made its token ids (data/report_tokens.h).
  std::string fingerprint() const;

 private:
  void finish_setup(const std::string& path);  // special ids + raw-text special tokens
  void append_segment_ids(std::string_view text, std::vector<std::int32_t>& ids,
                          std::vector<std::string>* pieces) const;
  void append_word_ids(const std::string& word, std::vector<std::int32_t>& ids,
                       std::vector<std::string>* pieces) const;

  std::vector<std::string> vocab_;  // id → token ("" for ids a tokenizer.json leaves out)
  std::unordered_map<std::string, int> index_;
  int cls_ = -1, sep_ = -1, pad_ = -1, unk_ = -1, mask_ = -1;
  std::string unk_token_ = "[UNK]";
  std::string prefix_ = "##";            // continuing-subword prefix
  int max_input_chars_per_word_ = 100;   // longer words become [UNK]
  // Special tokens matched in the raw text before normalisation (as HF's added vocabulary
  // does): "[CLS]" typed in a report is the [CLS] id, not "[", "cl", "##s", "]".
  std::vector<std::pair<std::string, int>> raw_specials_;
};

}  // namespace cgdmer
