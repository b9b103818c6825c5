// Loading a WordPieceTokenizer: vocab.txt, tokenizer.json, a model folder, the bundled
// MedCPT vocabulary. Mirrors HF tokenizers' WordPiece::read_file and its tokenizer.json
// fields; anything that is not the uncased BERT pipeline is refused with a FormatError.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/paths.h"
#include "text/bert_normalizer.h"
#include "text/tokenizer.h"
#include "text/utf8.h"

namespace cgdmer {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw IoError(path, "cannot open file");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) throw IoError(path, "read failed");
  return ss.str();
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Rust's str::trim_end: drop trailing White_Space characters.
std::string trim_end(const std::string& line) {
  std::u32string cps = decode_utf8(line);
  while (!cps.empty() && is_bert_whitespace(cps.back())) cps.pop_back();
  return encode_utf8(cps);
}

}  // namespace

WordPieceTokenizer WordPieceTokenizer::from_vocab_text(const std::string& text,
                                                       const std::string& path) {
  WordPieceTokenizer t;
  size_t start = 0;
  int line_no = 0;
  // Lines end at '\n' only (entries may hold \r, U+2028, control characters); a final line
  // without '\n' still counts, an empty tail after the last '\n' does not.
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    ++line_no;
    if (!is_valid_utf8(line))
      throw FormatError(path, "line " + std::to_string(line_no) + " is not valid UTF-8");
    line = trim_end(line);
    t.index_[line] = int(t.vocab_.size());  // a repeated token keeps its last id, as in HF
    t.vocab_.push_back(std::move(line));
    start = end + 1;
  }
  if (t.vocab_.empty()) throw FormatError(path, "empty vocabulary");
  t.finish_setup(path);
  return t;
}

WordPieceTokenizer WordPieceTokenizer::from_tokenizer_json(const std::string& text,
                                                           const std::string& path) {
  using nlohmann::json;
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw FormatError(path, std::string("not valid JSON: ") + e.what());
  }
  try {
    const json& model = j.at("model");
    if (model.value("type", std::string("WordPiece")) != "WordPiece")
      throw FormatError(path, "model.type is '" + model.value("type", std::string()) +
                                  "', only WordPiece is supported");
    const json& norm = j.value("normalizer", json());
    if (!norm.is_null()) {
      const bool lower = norm.value("lowercase", true);
      const json strip = norm.value("strip_accents", json());
      if (norm.value("type", std::string()) != "BertNormalizer" || !lower ||
          !norm.value("clean_text", true) || !norm.value("handle_chinese_chars", true) ||
          !(strip.is_null() || strip == true))
        throw FormatError(path, "normalizer is not the uncased BertNormalizer "
                                "(lowercase, clean_text, handle_chinese_chars, accents stripped)");
    }
    const json& pre = j.value("pre_tokenizer", json());
    if (!pre.is_null() && pre.value("type", std::string()) != "BertPreTokenizer")
      throw FormatError(path, "pre_tokenizer is not BertPreTokenizer");

    WordPieceTokenizer t;
    t.unk_token_ = model.value("unk_token", std::string("[UNK]"));
    t.prefix_ = model.value("continuing_subword_prefix", std::string("##"));
    t.max_input_chars_per_word_ = model.value("max_input_chars_per_word", 100);
    for (const auto& [tok, id_json] : model.at("vocab").items()) {
      const int id = id_json.get<int>();
      if (id < 0 || id > 10'000'000) throw FormatError(path, "vocab id out of range for '" + tok + "'");
      if (size_t(id) >= t.vocab_.size()) t.vocab_.resize(size_t(id) + 1);
      t.vocab_[size_t(id)] = tok;
      t.index_[tok] = id;
    }
    if (t.vocab_.empty()) throw FormatError(path, "model.vocab is empty");
    // Added special tokens that are matched on the raw text.
    std::vector<std::pair<std::string, int>> specials;
    for (const json& a : j.value("added_tokens", json::array())) {
      const std::string content = a.at("content").get<std::string>();
      const int id = a.at("id").get<int>();
      if (id < 0 || id > 10'000'000) throw FormatError(path, "added token id out of range");
      if (size_t(id) >= t.vocab_.size()) t.vocab_.resize(size_t(id) + 1);
      t.vocab_[size_t(id)] = content;
      t.index_[content] = id;
      if (!a.value("normalized", false)) specials.emplace_back(content, id);
    }
    t.finish_setup(path);
    if (j.contains("added_tokens")) t.raw_specials_ = specials;
    return t;
  } catch (const json::exception& e) {
    throw FormatError(path, std::string("unexpected tokenizer.json layout: ") + e.what());
  }
}

WordPieceTokenizer WordPieceTokenizer::load(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const char* name : {"tokenizer.json", "vocab.txt"}) {
      const std::string p = (fs::path(path) / name).string();
      if (fs::exists(p, ec)) return load(p);
    }
    throw IoError(path, "folder holds neither tokenizer.json nor vocab.txt");
  }
  const std::string text = read_file(path);
  if (ends_with(path, ".json")) return from_tokenizer_json(text, path);
  return from_vocab_text(text, path);
}

WordPieceTokenizer WordPieceTokenizer::medcpt() {
  return load(resource_path("assets/medcpt_vocab.txt"));
}

void WordPieceTokenizer::finish_setup(const std::string& path) {
  auto need = [&](const std::string& tok) {
    const int id = token_to_id(tok);
    if (id < 0) throw FormatError(path, "vocabulary has no " + tok + " token");
    return id;
  };
  unk_ = need(unk_token_);
  cls_ = need("[CLS]");
  sep_ = need("[SEP]");
  pad_ = need("[PAD]");
  mask_ = token_to_id("[MASK]");
  // vocab.txt: the five BERT specials are the added tokens (as transformers registers them).
  raw_specials_.clear();
  for (const char* s : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}) {
    const int id = token_to_id(s);
    if (id >= 0) raw_specials_.emplace_back(s, id);
  }
}

}  // namespace cgdmer
