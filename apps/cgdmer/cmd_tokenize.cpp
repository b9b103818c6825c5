// `cgdmer tokenize [--vocab FILE]`: reads lines of UTF-8 text on standard input and prints,
// per line, the WordPiece ids with [CLS]/[SEP] and no truncation, space-separated. For
// checking how a report is tokenized, and the interface the golden checks use.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "command.h"
#include "text/tokenizer.h"

namespace cgdmer::cli::cmd_tokenize {  // one namespace per command: apps/cgdmer builds as a unity build
namespace {

struct TokenizeOptions {
  std::string vocab;  // vocab.txt / tokenizer.json / model folder; empty = bundled MedCPT
  bool tokens = false;
};

int run_tokenize(const TokenizeOptions& o) {
  const WordPieceTokenizer tok = o.vocab.empty() ? WordPieceTokenizer::medcpt()
                                                 : WordPieceTokenizer::load(o.vocab);
  std::ios::sync_with_stdio(false);
  std::string line, out;
  while (std::getline(std::cin, line)) {
    out.clear();
    if (o.tokens) {
      for (const std::string& t : tok.tokenize(line)) {
        if (!out.empty()) out += ' ';
        out += t;
      }
    } else {
      for (std::int32_t id : tok.encode(line, true)) {
        if (!out.empty()) out += ' ';
        out += std::to_string(id);
      }
    }
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  return 0;
}

RegisterCommand reg{{"tokenize", "print the token ids of each line of standard input", 90,
                     [](CLI::App& app) -> Runner {
                       auto o = std::make_shared<TokenizeOptions>();
                       app.add_option("--vocab", o->vocab,
                                      "vocab.txt, tokenizer.json or a model folder "
                                      "(default: the bundled MedCPT vocabulary)");
                       app.add_flag("--tokens", o->tokens,
                                    "print the word pieces (no [CLS]/[SEP]) instead of ids");
                       return [o] { return run_tokenize(*o); };
                     }}};

}  // namespace
}  // namespace cgdmer::cli::cmd_tokenize
