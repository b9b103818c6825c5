// `cgdmer tokenize` end to end: the golden texts (tests/fixtures/text/medcpt_golden.jsonl) on
// standard input, one line each, must come back as exactly the oracle's ids. Skipped when the
// cgdmer binary has not been built (test_text does not depend on it).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "text_test_util.h"

namespace cgdmer {
namespace {

TEST(TokenizeCli, GoldenTextsThroughStdin) {
  ASSERT_TRUE(std::filesystem::exists(CGDMER_BINARY)) << "cgdmer not built: " << CGDMER_BINARY;
  const auto rows = cgdmer::testing::read_jsonl(cgdmer::testing::source_path("tests/fixtures/text/medcpt_golden.jsonl"));
  const auto dir = std::filesystem::temp_directory_path();
  const std::string in = (dir / ("cgdmer_tok_in_" + std::to_string(::getpid()))).string();
  const std::string out = in + ".out";
  {
    std::ofstream f(in);
    for (const auto& r : rows) f << r["text"].get<std::string>() << '\n';  // no text holds '\n'
  }
  const std::string cmd = std::string(CGDMER_BINARY) + " tokenize < " + in + " > " + out;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream f(out);
  std::string line;
  size_t i = 0;
  int mismatches = 0;
  while (std::getline(f, line) && i < rows.size()) {
    const std::string expected = cgdmer::testing::join_ids(rows[i]["ids"].get<std::vector<std::int32_t>>());
    if (line != expected && ++mismatches <= 5)
      ADD_FAILURE() << "line " << i + 1 << ": expected " << expected << "\n  actual " << line;
    ++i;
  }
  EXPECT_EQ(i, rows.size());
  EXPECT_EQ(mismatches, 0);
  std::filesystem::remove(in);
  std::filesystem::remove(out);
}

}  // namespace
}  // namespace cgdmer
