// clean_report / count_words / join_report_parts against MERL's Python steps, run by Debian
// python3 on hand-made edge cases and 300 PTB-XL reports
// (tests/fixtures/text/report_cleaning_golden.jsonl, tools/token_oracle/make_cleaning_golden.py).
// Exact string equality.
#include <gtest/gtest.h>

#include "text/report_cleaning.h"
#include "text_test_util.h"

namespace cgdmer {
namespace {

TEST(ReportCleaning, MatchesPythonMerlSteps) {
  const auto rows =
      cgdmer::testing::read_jsonl(cgdmer::testing::source_path("tests/fixtures/text/report_cleaning_golden.jsonl"));
  ASSERT_GT(rows.size(), 300u);
  int n_text = 0, n_join = 0;
  for (const auto& r : rows) {
    if (r.contains("parts")) {
      EXPECT_EQ(join_report_parts(r["parts"].get<std::vector<std::string>>()),
                r["joined"].get<std::string>());
      ++n_join;
      continue;
    }
    const std::string text = r["text"];
    SCOPED_TRACE(nlohmann::json(text).dump());
    EXPECT_EQ(clean_report(text), r["clean"].get<std::string>());
    EXPECT_EQ(count_words(text), r["words"].get<int>());
    ++n_text;
  }
  EXPECT_GT(n_text, 300);
  EXPECT_EQ(n_join, 4);
}

// A few cases written out by hand, so the semantics are readable here.
TEST(ReportCleaning, HandExamples) {
  // Character-set strips: any of ' ', '*' from both ends, then '=', '-' ...
  EXPECT_EQ(clean_report("*** Abnormal EKG ***"), "abnormal ecg.");
  // ... but not spaces again after the '=' strip: Python leaves the inner space.
  EXPECT_EQ(clean_report("= Sinus tachycardia ="), " sinus tachycardia .");
  EXPECT_EQ(clean_report("Ekg"), "ekg.");  // only 'EKG' and 'ekg' are replaced, before lower()
  EXPECT_EQ(clean_report("a\tb\nc"), "a b c.");
  EXPECT_EQ(clean_report("  ***  "), "empty");
  EXPECT_EQ(clean_report(""), "empty");
  EXPECT_EQ(count_words(" a  b\u00a0c\x1c" "d "), 4);
  EXPECT_EQ(join_report_parts({"Sinus rhythm", "", "Normal ECG"}), "Sinus rhythm. Normal ECG");
}

}  // namespace
}  // namespace cgdmer
