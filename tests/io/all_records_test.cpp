// Every record in the shared data reads without error: all PTB-XL .hea under records100 and
// records500 (checksums verified for every lead of every record, sizes checked), every
// Challenge and CSN record, LUDB, PTB Diagnostic and the CPSC files. ~2,450 small files.
#include <gtest/gtest.h>

#include <filesystem>

#include "io/ecg_readers.h"
#include "io_test_util.h"

namespace cgdmer {
namespace {

namespace fs = std::filesystem;

// Reads every file with extension `ext` under `root`; returns how many were read.
int read_all(const std::string& root, const std::string& ext, double fs_expected = 0) {
  int n = 0;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file() || e.path().extension() != ext) continue;
    try {
      const EcgRecord r = read_any_record(e.path().string());
      EXPECT_GT(r.n_samples, 0) << e.path();
      EXPECT_EQ(r.lead_names.size(), std::size_t(r.n_leads)) << e.path();
      if (fs_expected > 0) {
        EXPECT_EQ(r.fs, fs_expected) << e.path();
      }
      ++n;
    } catch (const std::exception& ex) {
      ADD_FAILURE() << ex.what();
    }
  }
  return n;
}

TEST(AllRecords, PtbXl100And500Hz) {
  // Counts from shared/data/README.md: 1,744 records at 100 Hz, 434 at 500 Hz.
  EXPECT_EQ(read_all(test::shared_data("ptb-xl/records100"), ".hea", 100), 1744);
  EXPECT_EQ(read_all(test::shared_data("ptb-xl/records500"), ".hea", 500), 434);
}

TEST(AllRecords, ChallengeCsnLudbPtbCpsc) {
  EXPECT_EQ(read_all(test::shared_data("physionet_challenge_2021/training"), ".hea"), 86);
  EXPECT_EQ(read_all(test::shared_data("csn_ecg_arrhythmia"), ".hea", 500), 4);
  EXPECT_EQ(read_all(test::shared_data("ludb/data"), ".hea", 500), 200);
  EXPECT_EQ(read_all(test::shared_data("ptb_diagnostic"), ".hea", 1000), 1);
  EXPECT_EQ(read_all(test::shared_data("cpsc2018"), ".mat", 500), 10);
}

}  // namespace
}  // namespace cgdmer
