// Replays the fuzz targets' inputs through the very same harness code, in the normal test
// binary (and so under ASan/UBSan in scripts/test_sanitize.sh): every seed in fuzz/corpus/
// <target>/ and every input that once crashed a target, kept in
// tests/reliability/fuzz_regressions/<target>/ (see fuzz/README.md). A regression input that
// crashes again aborts this binary, which fails the test.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

// Each fuzz target defines LLVMFuzzerTestOneInput; give each its own name here.
#define LLVMFuzzerTestOneInput fuzz_wfdb_header
#include "../../fuzz/fuzz_wfdb_header.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_wfdb_record
#include "../../fuzz/fuzz_wfdb_record.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_mat_v4
#include "../../fuzz/fuzz_mat_v4.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_mat_v5
#include "../../fuzz/fuzz_mat_v5.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_csv
#include "../../fuzz/fuzz_csv.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_safetensors
#include "../../fuzz/fuzz_safetensors.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_tokenizer
#include "../../fuzz/fuzz_tokenizer.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_shard_store
#include "../../fuzz/fuzz_shard_store.cpp"
#undef LLVMFuzzerTestOneInput

namespace {

namespace fs = std::filesystem;
using Target = int (*)(const std::uint8_t*, std::size_t);

// Runs every file of the target's seed corpus and regression folder; returns the count.
int replay(const std::string& name, Target target) {
  int n = 0;
  for (const std::string& dir : {std::string(CGDMER_SOURCE_DIR) + "/fuzz/corpus/" + name,
                                std::string(CGDMER_SOURCE_DIR) + "/tests/reliability/fuzz_regressions/" + name}) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    for (const auto& e : fs::directory_iterator(dir)) {
      std::ifstream in(e.path(), std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), {});
      SCOPED_TRACE(e.path().string());
      EXPECT_EQ(target(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), 0);
      ++n;
    }
  }
  return n;
}

TEST(FuzzReplay, WfdbHeader) { EXPECT_GT(replay("fuzz_wfdb_header", fuzz_wfdb_header), 0); }
TEST(FuzzReplay, WfdbRecord) { EXPECT_GT(replay("fuzz_wfdb_record", fuzz_wfdb_record), 0); }
TEST(FuzzReplay, MatV4) { EXPECT_GT(replay("fuzz_mat_v4", fuzz_mat_v4), 0); }
TEST(FuzzReplay, MatV5) { EXPECT_GT(replay("fuzz_mat_v5", fuzz_mat_v5), 0); }
TEST(FuzzReplay, Csv) { EXPECT_GT(replay("fuzz_csv", fuzz_csv), 0); }
TEST(FuzzReplay, Safetensors) { EXPECT_GT(replay("fuzz_safetensors", fuzz_safetensors), 0); }
TEST(FuzzReplay, Tokenizer) { EXPECT_GT(replay("fuzz_tokenizer", fuzz_tokenizer), 0); }
TEST(FuzzReplay, ShardStore) { EXPECT_GT(replay("fuzz_shard_store", fuzz_shard_store), 0); }

}  // namespace
