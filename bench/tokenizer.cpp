// Tokenizer throughput: reports/s of WordPieceTokenizer::encode (MedCPT vocabulary, [CLS]/[SEP],
// no truncation, one thread) over the 21,580 PTB-XL reports of ../shared/data/ptb-xl/
// ptbxl_database.csv, or over the lines of --input FILE (what bench/tokenizer_vs_hf.sh uses to
// time the Hugging Face oracle on the very same texts). Best of --repeats passes.
//   usage: bench_tokenizer [--input FILE] [--vocab FILE] [--repeats N]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "io/csv.h"
#include "text/tokenizer.h"

using namespace cgdmer;

int main(int argc, char** argv) {
  std::string input, vocab = std::string(CGDMER_SOURCE_DIR) + "/assets/medcpt_vocab.txt";
  int repeats = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--input")) input = argv[i + 1];
    else if (!std::strcmp(argv[i], "--vocab")) vocab = argv[i + 1];
    else if (!std::strcmp(argv[i], "--repeats")) repeats = std::max(1, std::atoi(argv[i + 1]));
  }
  try {
    std::vector<std::string> texts;
    std::string source;
    if (input.empty()) {
      source = std::string(CGDMER_SHARED_DIR) + "/data/ptb-xl/ptbxl_database.csv";
      const CsvTable t = CsvTable::read(source);
      const int col = t.column("report");
      for (size_t r = 0; r < t.n_rows(); ++r) texts.push_back(t.at(r, col));
    } else {
      source = input;
      std::ifstream f(input);
      if (!f) {
        std::fprintf(stderr, "cannot open %s\n", input.c_str());
        return 1;
      }
      for (std::string line; std::getline(f, line);) texts.push_back(line);
    }
    const WordPieceTokenizer tok = WordPieceTokenizer::load(vocab);
    double best = 1e30;
    size_t n_ids = 0;
    for (int rep = 0; rep < repeats; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      size_t ids = 0;
      for (const std::string& s : texts) ids += tok.encode(s).size();
      const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      best = std::min(best, sec);
      n_ids = ids;
    }
    std::printf("cgdmer WordPieceTokenizer (C++, 1 thread): %zu texts, %zu ids in %.3f s = %.0f texts/s "
                "(best of %d)\n",
                texts.size(), n_ids, best, double(texts.size()) / best, repeats);
    std::printf("  input: %s\n  command: %s", source.c_str(), argv[0]);
    for (int i = 1; i < argc; ++i) std::printf(" %s", argv[i]);
    std::printf("\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_tokenizer: %s\n", e.what());
    return 1;
  }
  return 0;
}
