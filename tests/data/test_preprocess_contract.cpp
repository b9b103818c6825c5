// The preprocessing contract: settings text → options and back, field-by-field comparison
// (which fields break a model's input, which only warn), the JSON a person reads.
#include <gtest/gtest.h>

#include "core/error.h"
#include "data/preprocess_contract.h"

namespace cgdmer {
namespace {

PreprocessOptions hundred_hz() {
  PreprocessOptions o;
  o.target_fs = 100;
  o.target_samples = 1000;
  return o;
}

TEST(PreprocessContract, SettingsReadBackToTheSameOptions) {
  PreprocessOptions o = hundred_hz();
  o.keep_samples = 250;
  o.nan_fill_window = 3;
  const PreprocessOptions back = parse_preprocess_settings(o.settings_text(), "t");
  EXPECT_EQ(back.settings_text(), o.settings_text());
  EXPECT_EQ(back.target_fs, 100);
  EXPECT_EQ(back.target_samples, 1000);
  EXPECT_EQ(back.keep_samples, 250);
  EXPECT_EQ(back.nan_fill_window, 3);
  EXPECT_EQ(back.normalisation, Normalisation::minmax);
  ASSERT_EQ(back.lead_order.size(), 12u);
  EXPECT_EQ(back.lead_order[4], "avf");  // settings_text writes lower case; matching ignores case
  EXPECT_EQ(back.settings_digest(), o.settings_digest());
  o.normalisation = Normalisation::mv;  // "norm=mv" reads back; min–max stores keep their old text
  EXPECT_NE(o.settings_text().find(";norm=mv;"), std::string::npos);
  EXPECT_EQ(parse_preprocess_settings(o.settings_text(), "t").normalisation, Normalisation::mv);
  for (const char* bad : {"", "pp2:fs=100", "pp1:fs=100", "pp1:leads=i;fs=x;n=1;keep=-1;fill=6;norm=minmax;resampler=poly-kaiser5-10",
                          "pp1:leads=i;fs=100;n=1;keep=-1;fill=6;norm=zscore;resampler=poly-kaiser5-10"})
    EXPECT_THROW(parse_preprocess_settings(bad, "store.json"), FormatError) << bad;
}

TEST(PreprocessContract, DifferencesNameTheFieldAndOnlyRecipesAreSoft) {
  const PreprocessOptions model = hundred_hz();
  PreprocessOptions other = model;
  EXPECT_TRUE(compare_preprocess_settings(model.settings_text(), other.settings_text()).empty());
  other.target_fs = 500;
  other.keep_samples = 250;
  const auto d = compare_preprocess_settings(model.settings_text(), other.settings_text());
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].field, "fs");
  EXPECT_TRUE(d[0].breaking);
  EXPECT_EQ(d[1].field, "keep");
  EXPECT_FALSE(d[1].breaking);
  EXPECT_EQ(describe_differences(d, true), "fs: the model's contract says 100, this has 500");
  EXPECT_NE(describe_differences(d, false).find("keep: the model's contract says -1, this has 250"),
            std::string::npos);
  PreprocessOptions swapped = model;
  std::swap(swapped.lead_order[4], swapped.lead_order[5]);
  const auto l = compare_preprocess_settings(model.settings_text(), swapped.settings_text());
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].field, "leads");
  EXPECT_TRUE(l[0].breaking);
}

TEST(PreprocessContract, JsonStatesRateWindowLeadsNormalisationFiltersAndHash) {
  const PreprocessOptions o = hundred_hz();
  const auto j = preprocess_contract_json(o.settings_text());
  EXPECT_EQ(j["sample_rate_hz"], 100.0);
  EXPECT_EQ(j["window_samples"], 1000);
  EXPECT_EQ(j["window_seconds"], 10.0);
  EXPECT_EQ(j["lead_order"].size(), 12u);
  EXPECT_NE(j["normalisation"].get<std::string>().find("min-max"), std::string::npos);
  EXPECT_NE(j["filters"].get<std::string>().find("none"), std::string::npos);
  EXPECT_EQ(j["preprocessing_hash"], o.settings_digest());
}

}  // namespace
}  // namespace cgdmer
