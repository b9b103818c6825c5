// Preprocessing chain: lead reordering (case-insensitive, missing lead → error), NaN/inf
// fill per lead, crop/pad with keep_samples, global min–max, the whole chain against a numpy
// reference on PTB-XL 00001_hr, and the settings text / digest.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/error.h"
#include "data/preprocess.h"
#include "io/ecg_readers.h"
#include "io_test_util.h"

namespace cgdmer {
namespace {

EcgRecord small_record(int n_leads, std::int64_t n, std::vector<std::string> names) {
  EcgRecord r;
  r.id = "toy";
  r.path = "toy.hea";
  r.fs = 500;
  r.n_leads = n_leads;
  r.n_samples = n;
  r.lead_names = std::move(names);
  r.units.assign(std::size_t(n_leads), "mV");
  r.data.resize(std::size_t(n_leads * n));
  for (int l = 0; l < n_leads; ++l)
    for (std::int64_t t = 0; t < n; ++t) r.lead(l)[t] = float(100 * l + t);
  return r;
}

TEST(Preprocess, ReorderToMimicOrderCaseInsensitive) {
  // PTB-XL writes "AVR", "AVL", "AVF"; the MIMIC order puts aVF before aVL.
  const EcgRecord r = read_wfdb_record(cgdmer::testing::shared_data("ptb-xl/records100/00000/00001_lr.hea"));
  const EcgRecord o = reorder_leads(r, mimic_lead_order());
  ASSERT_EQ(o.n_leads, 12);
  EXPECT_EQ(o.lead_names[4], "aVF");
  EXPECT_EQ(o.lead_names[5], "aVL");
  EXPECT_EQ(o.lead(4)[10], r.lead(5)[10]);  // source index 5 = AVF
  EXPECT_EQ(o.lead(5)[10], r.lead(4)[10]);  // source index 4 = AVL
  EXPECT_EQ(o.lead(11)[999], r.lead(11)[999]);
}

TEST(Preprocess, MissingLeadNamesFileAndLead) {
  EcgRecord r = small_record(2, 10, {"I", "II"});
  try {
    reorder_leads(r, {"I", "II", "V3"});
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(e.path(), "toy.hea");
    EXPECT_NE(std::string(e.what()).find("lead V3 missing"), std::string::npos) << e.what();
  }
}

// A 2-lead record (II, V2) against the 12-lead order: its leads land in their rows,
// normalised over those two leads only; the other rows are 0; `present` names the rows.
// On a 12-lead record, restrict_to_leads gives the same as preprocessing the record cut to
// those leads.
TEST(Preprocess, LeadSubsetKeepsOnlyTheHeldLeads) {
  EcgRecord r = small_record(2, 20, {"v2", "II"});
  PreprocessOptions o;
  o.target_fs = 500;
  o.target_samples = 20;
  std::vector<int> present;
  const auto x = preprocess_record_subset(r, o, &present);
  ASSERT_EQ(present, (std::vector<int>{1, 7}));  // MIMIC order: I II III aVR aVF aVL V1 V2 ...
  ASSERT_EQ(x.size(), 12u * 20u);
  EcgRecord two = reorder_leads(r, {"II", "V2"});
  std::vector<float> expect = crop_or_pad(two, 20);
  minmax_normalise(expect);
  for (int t = 0; t < 20; ++t) {
    EXPECT_FLOAT_EQ(x[1 * 20 + t], expect[std::size_t(t)]);
    EXPECT_FLOAT_EQ(x[7 * 20 + t], expect[std::size_t(20 + t)]);
    EXPECT_EQ(x[0 * 20 + t], 0.0f);
    EXPECT_EQ(x[11 * 20 + t], 0.0f);
  }
  EXPECT_THROW(preprocess_record_subset(small_record(1, 20, {"X"}), o, &present), FormatError);

  EcgRecord full = small_record(12, 20, mimic_lead_order());
  std::vector<float> all = preprocess_record(full, o);
  restrict_to_leads(all.data(), 12, 20, {1, 7}, Normalisation::minmax);
  std::vector<float> cut = crop_or_pad(reorder_leads(full, {"II", "V2"}), 20);
  minmax_normalise(cut);
  for (int t = 0; t < 20; ++t) {
    EXPECT_NEAR(all[1 * 20 + t], cut[std::size_t(t)], 1e-6);
    EXPECT_NEAR(all[7 * 20 + t], cut[std::size_t(20 + t)], 1e-6);
    EXPECT_EQ(all[3 * 20 + t], 0.0f);
  }
}

TEST(Preprocess, FillNonFiniteUsesWindowMeanPerLead) {
  EcgRecord r = small_record(2, 40, {"I", "V3"});
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  r.lead(0)[20] = nan;  // neighbours 14..26 except 20: mean of t = 20 ± k is 20 exactly
  r.lead(0)[0] = -inf;  // window 0..6 minus 0: mean of 1..6 = 3.5
  r.lead(1)[39] = inf;  // lead 1 values are 100 + t: window 33..39 minus 38, 39 → 135
  r.lead(1)[38] = nan;  // window 32..39 minus 38, 39 → mean of 132..37 = 134.5
  fill_non_finite(r, 6);
  EXPECT_FLOAT_EQ(r.lead(0)[20], 20.0f);
  EXPECT_FLOAT_EQ(r.lead(0)[0], 3.5f);
  EXPECT_FLOAT_EQ(r.lead(1)[39], 135.0f);
  EXPECT_FLOAT_EQ(r.lead(1)[38], 134.5f);
  EXPECT_FLOAT_EQ(r.lead(1)[37], 137.0f);  // finite values untouched
}

TEST(Preprocess, FillFallsBackToLeadMeanForLongGaps) {
  EcgRecord r = small_record(1, 40, {"I"});
  for (int t = 0; t < 20; ++t) r.lead(0)[t] = std::numeric_limits<float>::quiet_NaN();
  fill_non_finite(r, 6);
  EXPECT_FLOAT_EQ(r.lead(0)[0], 29.5f);   // no finite value within ±6: mean of 20..39
  EXPECT_FLOAT_EQ(r.lead(0)[19], 22.5f);  // window 13..25: finite 20..25
}

TEST(Preprocess, NanOnlyLeadIsAnError) {
  EcgRecord r = small_record(3, 50, {"I", "II", "V3"});
  for (int t = 0; t < 50; ++t) r.lead(2)[t] = std::numeric_limits<float>::quiet_NaN();
  try {
    fill_non_finite(r, 6);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()), "toy.hea: lead V3 has no finite samples");
  }
  PreprocessOptions o;
  o.lead_order = {"I", "II", "V3"};
  EXPECT_THROW(preprocess_record(r, o), FormatError);
}

TEST(Preprocess, CropPadAndKeepSamples) {
  const EcgRecord r = small_record(2, 10, {"I", "II"});
  auto a = crop_or_pad(r, 6);
  EXPECT_EQ(a, (std::vector<float>{0, 1, 2, 3, 4, 5, 100, 101, 102, 103, 104, 105}));
  auto b = crop_or_pad(r, 12, 3);  // MERL CPSC style: first 3, zeros to 12
  ASSERT_EQ(b.size(), 24u);
  EXPECT_EQ(b[2], 2);
  EXPECT_EQ(b[3], 0);
  EXPECT_EQ(b[11], 0);
  EXPECT_EQ(b[12], 100);
  EXPECT_EQ(b[23], 0);
}

TEST(Preprocess, MinMaxIsGlobalWithEpsilon) {
  std::vector<float> x{-2, 0, 2, 6};
  minmax_normalise(x);
  EXPECT_FLOAT_EQ(x[0], 0.0f);
  EXPECT_FLOAT_EQ(x[1], float(2 / (8 + 1e-8)));
  EXPECT_FLOAT_EQ(x[3], float(8 / (8 + 1e-8)));
  std::vector<float> c(5, 3.0f);
  minmax_normalise(c);  // constant record → 0, no division by zero
  EXPECT_EQ(c[4], 0.0f);
}

TEST(Preprocess, WholeChainMatchesNumpyOnPtbXl) {
  // Reference: tools/make_io_golden.py reorders 00001_hr (500 Hz, 12 × 5000) to the MIMIC
  // order and min–max normalises in float64; we output float32 (tolerance 1e-6).
  const auto& g = cgdmer::testing::golden()["preprocess"];
  const EcgRecord r = read_wfdb_record(cgdmer::testing::shared_data(g["path"]));
  const PreprocessOptions o;  // MIMIC order, 500 Hz, 5000 samples
  const std::vector<float> x = preprocess_record(r, o);
  ASSERT_EQ(x.size(), 12u * 5000u);
  for (const auto& p : g["picks"])
    EXPECT_NEAR(x[p["lead"].get<std::size_t>() * 5000 + p["t"].get<std::size_t>()],
                p["value"].get<double>(), 1e-6);
  const auto lo = std::min_element(x.begin(), x.end()) - x.begin();
  const auto hi = std::max_element(x.begin(), x.end()) - x.begin();
  EXPECT_EQ(lo, g["argmin"][0].get<int>() * 5000 + g["argmin"][1].get<int>());
  EXPECT_EQ(hi, g["argmax"][0].get<int>() * 5000 + g["argmax"][1].get<int>());
}

TEST(Preprocess, ResamplesPtbDiagnosticTo500HzAndCrops) {
  // 1000 Hz, 38400 samples, 15 leads → MIMIC 12 at 500 Hz → 19200 → crop to 5000.
  const EcgRecord r =
      read_wfdb_record(cgdmer::testing::shared_data("ptb_diagnostic/patient001/s0010_re.hea"));
  PreprocessOptions o;
  o.normalisation = Normalisation::none;
  const std::vector<float> x = preprocess_record(r, o);
  ASSERT_EQ(x.size(), 12u * 5000u);
  const EcgRecord rs = resample_record(reorder_leads(r, o.lead_order), 500);
  EXPECT_EQ(rs.n_samples, 19200);
  EXPECT_EQ(x[3 * 5000 + 4999], rs.lead(3)[4999]);
  PreprocessOptions cpsc;
  cpsc.keep_samples = 2500;
  const std::vector<float> y = preprocess_record(r, cpsc);
  // After normalisation the zero padding maps to (0 - min) / (max - min + 1e-8), constant.
  EXPECT_EQ(y[2500], y[4999]);
  EXPECT_NE(y[2499], y[2500]);
}

// "mv" keeps what min–max drops: a record and the same record at twice the voltage (or shifted
// by 1 mV) preprocess differently, and the values are 0.5 + (x − lead median) / 10 mV.
TEST(Preprocess, MillivoltScalingKeepsAmplitudeAndDropsOnlyEachLeadsMedian) {
  EcgRecord r = small_record(2, 9, {"I", "II"});  // lead-major
  const std::vector<float> lead_i = {0.1f, -0.4f, 0.9f, 0.2f, 0.0f, 1.5f, -0.2f, 0.3f, 0.2f};  // median 0.2
  for (int t = 0; t < 9; ++t) {
    r.lead(0)[t] = lead_i[std::size_t(t)];
    r.lead(1)[t] = 7.0f + (t == 4 ? 9.0f : 0.0f);  // median 7; one sample 9 mV above it: clamped
  }
  PreprocessOptions o;
  o.lead_order = {"I", "II"};
  o.target_fs = 500;
  o.target_samples = 12;  // 3 samples of padding
  o.normalisation = Normalisation::mv;
  const auto x = preprocess_record(r, o);
  ASSERT_EQ(x.size(), 24u);
  for (int t = 0; t < 9; ++t) {
    EXPECT_NEAR(x[std::size_t(t)], 0.5 + (lead_i[std::size_t(t)] - 0.2) / 10.0, 1e-6) << t;
    EXPECT_NEAR(x[std::size_t(12 + t)], t == 4 ? 1.0 : 0.5, 1e-6) << t;
  }
  for (int t = 9; t < 12; ++t) {
    EXPECT_EQ(x[std::size_t(t)], 0.5f);  // padding is 0 mV
    EXPECT_EQ(x[std::size_t(12 + t)], 0.5f);
  }
  EcgRecord twice = r;
  for (auto& v : twice.data) v *= 2;
  const auto y = preprocess_record(twice, o);
  EXPECT_NEAR(y[2] - 0.5, 2 * (x[2] - 0.5), 1e-6);  // voltage kept
  o.normalisation = Normalisation::minmax;
  const auto a = preprocess_record(r, o), b = preprocess_record(twice, o);
  for (int t = 0; t < 9; ++t) EXPECT_NEAR(a[std::size_t(t)], b[std::size_t(t)], 1e-6);  // what min–max loses

  // An absent lead is 0 mV (0.5), and restrict_to_leads leaves a present lead as it is.
  o.normalisation = Normalisation::mv;
  std::vector<int> present;
  EcgRecord one = small_record(1, 9, {"II"});
  const auto s = preprocess_record_subset(one, o, &present);
  ASSERT_EQ(present, (std::vector<int>{1}));
  for (int t = 0; t < 12; ++t) EXPECT_EQ(s[std::size_t(t)], 0.5f);
  std::vector<float> z = x;
  restrict_to_leads(z.data(), 2, 12, {0}, Normalisation::mv);
  for (int t = 0; t < 12; ++t) {
    EXPECT_EQ(z[std::size_t(t)], x[std::size_t(t)]);
    EXPECT_EQ(z[std::size_t(12 + t)], 0.5f);
  }
  EXPECT_EQ(parse_normalisation("mv"), Normalisation::mv);
  EXPECT_THROW(parse_normalisation("zscore"), ConfigError);
}

TEST(Preprocess, InvalidOptionsAreConfigErrors) {
  const EcgRecord r = small_record(1, 10, {"I"});
  PreprocessOptions o;
  o.lead_order = {"I"};
  o.target_samples = 0;
  EXPECT_THROW(preprocess_record(r, o), ConfigError);
  o.target_samples = 10;
  o.nan_fill_window = -1;
  EXPECT_THROW(preprocess_record(r, o), ConfigError);
  o.nan_fill_window = 6;
  o.target_fs = 0;
  EXPECT_THROW(preprocess_record(r, o), ConfigError);
}

TEST(Preprocess, SettingsTextChangesWithEveryOption) {
  const PreprocessOptions a;
  EXPECT_EQ(a.settings_text(), PreprocessOptions().settings_text());
  EXPECT_EQ(a.settings_text().rfind("pp1:leads=i,ii,iii,avr,avf,avl,v1", 0), 0u) << a.settings_text();
  PreprocessOptions b = a;
  b.target_fs = 100;
  PreprocessOptions c = a;
  c.keep_samples = 2500;
  PreprocessOptions d = a;
  d.lead_order = {"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"};
  PreprocessOptions e = a;
  e.target_samples = 1000;
  for (const auto* o : {&b, &c, &d, &e}) {
    EXPECT_NE(o->settings_text(), a.settings_text());
    EXPECT_NE(o->settings_digest(), a.settings_digest());
  }
}

// The digest is FNV-1a-64 of the text. Expected values computed outside this code base:
//   python3 -c 'h=14695981039346656037
//   for c in TEXT.encode(): h=((h^c)*1099511628211)%2**64
//   print("%016x"%h)'
TEST(Preprocess, SettingsDigestIsFnv1a64OfTheText) {
  PreprocessOptions o;
  o.target_fs = 100;
  o.target_samples = 1000;
  ASSERT_EQ(o.settings_text(),
            "pp1:leads=i,ii,iii,avr,avf,avl,v1,v2,v3,v4,v5,v6;fs=100;n=1000;keep=-1;fill=6;"
            "norm=minmax;resampler=poly-kaiser5-10");
  EXPECT_EQ(o.settings_digest(), "7d223522aeb3bc47");
}

}  // namespace
}  // namespace cgdmer
