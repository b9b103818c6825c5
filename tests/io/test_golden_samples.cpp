// Readers against real files: sample values, shapes, lead names and checksums compared with
// tests/fixtures/io/golden_samples.json, which tools/make_io_golden.py computes independently
// (numpy on the raw bytes; scipy.io.loadmat for MAT v5). Sample values are compared EXACTLY:
// both sides compute float32((adc - baseline) / gain) from the same double arithmetic
// (or, for CPSC, float32 of the stored double).
#include <gtest/gtest.h>

#include <cmath>

#include "io/ecg_readers.h"
#include "io_test_util.h"

namespace cgdmer {
namespace {

using cgdmer::testing::golden;

void check_wfdb(const nlohmann::json& g, const std::string& hea_path) {
  SCOPED_TRACE(hea_path);
  const EcgRecord r = read_wfdb_record(hea_path);
  EXPECT_EQ(r.fs, g["fs"].get<double>());
  ASSERT_EQ(r.n_leads, g["n_leads"].get<int>());
  ASSERT_EQ(r.n_samples, g["n_samples"].get<std::int64_t>());
  ASSERT_EQ(r.data.size(), std::size_t(r.n_leads) * std::size_t(r.n_samples));
  EXPECT_EQ(r.lead_names, g["lead_names"].get<std::vector<std::string>>());
  for (const auto& s : g["samples"]) {
    const int lead = s["lead"], t = s["t"];
    EXPECT_EQ(r.lead(lead)[t], s["value"].get<float>()) << "lead " << lead << " t " << t;
  }
}

TEST(GoldenSamples, WfdbFormat16AndChallengeMatV4) {
  ASSERT_GE(golden()["wfdb"].size(), 10u);
  for (const auto& g : golden()["wfdb"]) check_wfdb(g, cgdmer::testing::shared_data(g["path"]));
}

TEST(GoldenSamples, Format212Fixture) {
  const auto& g = golden()["fmt212"];
  check_wfdb(g, cgdmer::testing::fixture(g["path"]));
}

TEST(GoldenSamples, CpscMatV5) {
  for (const auto& g : golden()["cpsc"]) {
    const std::string path = cgdmer::testing::shared_data(g["path"]);
    SCOPED_TRACE(path);
    const EcgRecord r = read_cpsc_mat(path);
    EXPECT_EQ(r.fs, 500.0);
    ASSERT_EQ(r.n_leads, 12);
    ASSERT_EQ(r.n_samples, g["n_samples"].get<std::int64_t>());
    EXPECT_EQ(r.lead_names.front(), "I");
    EXPECT_EQ(r.lead_names[3], "aVR");
    EXPECT_EQ(r.lead_names.back(), "V6");
    EXPECT_EQ(r.comment_value("Sex"), g["sex"].get<std::string>());
    EXPECT_EQ(r.comment_value("age"), std::to_string(g["age"].get<int>()));
    for (const auto& s : g["samples"]) {
      const int lead = s["lead"], t = s["t"];
      EXPECT_EQ(r.lead(lead)[t], s["value"].get<float>()) << "lead " << lead << " t " << t;
    }
    // Per-lead sums: the golden sums the doubles, we sum the float32 copies, so allow the
    // float32 rounding of each sample (≤ 6e-8 relative) accumulated over n samples.
    for (int l = 0; l < 12; ++l) {
      double sum = 0, abs_sum = 0;
      for (std::int64_t t = 0; t < r.n_samples; ++t) sum += r.lead(l)[t], abs_sum += std::fabs(r.lead(l)[t]);
      EXPECT_NEAR(sum, g["lead_sums"][l].get<double>(), 1e-7 * abs_sum + 1e-9) << "lead " << l;
    }
  }
}

TEST(GoldenSamples, DispatchPicksTheReader) {
  // .hea → WFDB; Challenge .mat with a .hea beside it → WFDB; bare record name → WFDB;
  // .mat without .hea → CPSC MAT v5.
  const EcgRecord a = read_any_record(cgdmer::testing::shared_data("ptb-xl/records100/00000/00001_lr"));
  EXPECT_EQ(a.id, "00001_lr");
  EXPECT_EQ(a.fs, 100.0);
  const EcgRecord b =
      read_any_record(cgdmer::testing::shared_data("physionet_challenge_2021/training/georgia/E07503.mat"));
  EXPECT_EQ(b.id, "E07503");
  EXPECT_EQ(b.comment_value("Dx"), "253352002,427084000");
  EXPECT_EQ(b.comment_value("Age"), "77");
  const EcgRecord c = read_any_record(cgdmer::testing::shared_data("cpsc2018/A1981.mat"));
  EXPECT_EQ(c.id, "A1981");
  EXPECT_EQ(c.n_leads, 12);
  const EcgRecord d = read_any_record(cgdmer::testing::shared_data("ludb/data/1.dat"));
  EXPECT_EQ(d.comment_value("age"), "51");  // LUDB writes "#<age>: 51"
  EXPECT_EQ(d.comment_value("Rhythm"), "Sinus bradycardia.");
}

TEST(GoldenSamples, PtbDiagnosticHasTwoSignalFiles) {
  // 12 leads in s0010_re.dat and 3 Frank leads in s0010_re.xyz, 1000 Hz, 38400 samples.
  const EcgRecord r = read_wfdb_record(cgdmer::testing::shared_data("ptb_diagnostic/patient001/s0010_re.hea"));
  EXPECT_EQ(r.n_leads, 15);
  EXPECT_EQ(r.fs, 1000.0);
  EXPECT_EQ(r.lead_names[12], "vx");
  EXPECT_EQ(r.lead_names[14], "vz");
  EXPECT_EQ(r.comment_value("age"), "81");
}

}  // namespace
}  // namespace cgdmer
