// Every record in the shared data reads without error: all PTB-XL .hea under records100 and
// records500 (checksums verified for every lead of every record, sizes checked), every
// Challenge and CSN record, LUDB, PTB Diagnostic and the CPSC files. ~2,450 small files.
#include <gtest/gtest.h>

#include <filesystem>

#include "io/ecg_readers.h"
#include "io/wfdb_header.h"
#include "io_test_util.h"

namespace cgdmer {
namespace {

namespace fs = std::filesystem;

struct Counts {
  int records = 0;
  int checksummed_leads = 0;  // leads whose header checksum the reader verified
};

// Reads every file with extension `ext` under `root`.
Counts read_all(const std::string& root, const std::string& ext, double fs_expected = 0) {
  Counts n;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file() || e.path().extension() != ext) continue;
    try {
      const EcgRecord r = read_any_record(e.path().string());
      EXPECT_GT(r.n_samples, 0) << e.path();
      EXPECT_EQ(r.lead_names.size(), std::size_t(r.n_leads)) << e.path();
      if (fs_expected > 0) {
        EXPECT_EQ(r.fs, fs_expected) << e.path();
      }
      ++n.records;
      if (ext == ".hea")
        for (const auto& sig : read_wfdb_header(e.path().string()).signals)
          n.checksummed_leads += sig.checksum.has_value();
    } catch (const std::exception& ex) {
      ADD_FAILURE() << ex.what();
    }
  }
  return n;
}

TEST(AllRecords, PtbXl100And500Hz) {
  // Counts from shared/data/README.md: 1,744 records at 100 Hz, 434 at 500 Hz.
  const Counts lr = read_all(cgdmer::testing::shared_data("ptb-xl/records100"), ".hea", 100);
  EXPECT_EQ(lr.records, 1744);
  EXPECT_EQ(lr.checksummed_leads, 12 * 1744);  // every lead of every record verified
  const Counts hr = read_all(cgdmer::testing::shared_data("ptb-xl/records500"), ".hea", 500);
  EXPECT_EQ(hr.records, 434);
  EXPECT_EQ(hr.checksummed_leads, 12 * 434);
}

TEST(AllRecords, ChallengeCsnLudbPtbCpsc) {
  const Counts ch = read_all(cgdmer::testing::shared_data("physionet_challenge_2021/training"), ".hea");
  EXPECT_EQ(ch.records, 86);
  EXPECT_EQ(ch.checksummed_leads, 12 * 86);
  EXPECT_EQ(read_all(cgdmer::testing::shared_data("csn_ecg_arrhythmia"), ".hea", 500).records, 4);
  EXPECT_EQ(read_all(cgdmer::testing::shared_data("ludb/data"), ".hea", 500).records, 200);
  EXPECT_EQ(read_all(cgdmer::testing::shared_data("ptb_diagnostic"), ".hea", 1000).checksummed_leads, 15);
  EXPECT_EQ(read_all(cgdmer::testing::shared_data("cpsc2018"), ".mat", 500).records, 10);
}

}  // namespace
}  // namespace cgdmer
