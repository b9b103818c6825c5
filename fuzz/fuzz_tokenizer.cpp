// Fuzz target: the MedCPT WordPiece tokenizer on arbitrary bytes (invalid UTF-8, control
// characters, combining marks, CJK, "[CLS]"-like specials). Ids must be in the vocabulary and
// the fixed-length encoding must respect max_len.
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "text/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const cgdmer::WordPieceTokenizer tok = cgdmer::WordPieceTokenizer::medcpt();
  const std::string text(reinterpret_cast<const char*>(data), size);
  cgdmer::fuzz::expect_clean([&] {
    const auto ids = tok.encode(text);
    if (ids.size() < 2 || ids.front() != tok.cls_id() || ids.back() != tok.sep_id()) __builtin_trap();
    for (auto id : ids)
      if (id < 0 || id >= tok.vocab_size()) __builtin_trap();
    const auto enc = tok.encode(text, 16, true);
    if (enc.ids.size() != 16 || enc.attention_mask.size() != 16) __builtin_trap();
    const auto pieces = tok.tokenize(text);
    if (pieces.size() + 2 != ids.size()) __builtin_trap();
  });
  return 0;
}
