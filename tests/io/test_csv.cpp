// CsvTable: RFC 4180 corner cases on inline text, and PTB-XL's database file against the
// values Python's csv module reads (tests/fixtures/io/golden_samples.json).
#include <gtest/gtest.h>

#include "core/error.h"
#include "io/csv.h"
#include "io_test_util.h"

namespace cgdmer {
namespace {

TEST(Csv, QuotedCommasQuotesNewlinesCrlfBom) {
  const std::string text =
      "\xEF\xBB\xBF"
      "id,text,n\r\n"
      "1,\"a, b\",3\r\n"
      "2,\"she said \"\"hi\"\"\",4\r\n"
      "3,\"two\r\nlines\",5\r\n"
      "4,,\r\n"
      "5,\"\",\"\"";  // no final newline
  const CsvTable t = CsvTable::parse(text, "inline.csv");
  ASSERT_EQ(t.header(), (std::vector<std::string>{"id", "text", "n"}));
  ASSERT_EQ(t.n_rows(), 5u);
  EXPECT_EQ(t.at(0, "text"), "a, b");
  EXPECT_EQ(t.at(1, "text"), "she said \"hi\"");
  EXPECT_EQ(t.at(2, "text"), "two\r\nlines");
  EXPECT_EQ(t.at(2, "n"), "5");
  EXPECT_EQ(t.at(3, 1), "");
  EXPECT_EQ(t.at(3, 2), "");
  EXPECT_EQ(t.at(4, "n"), "");
  EXPECT_TRUE(t.has_column("id"));
  EXPECT_FALSE(t.has_column("\xEF\xBB\xBFid"));
}

TEST(Csv, LfOnlyAndBlankLinesSkipped) {
  const CsvTable t = CsvTable::parse("a,b\n1,2\n\n3,\"x\ny\"\n", "lf.csv");
  ASSERT_EQ(t.n_rows(), 2u);
  EXPECT_EQ(t.at(1, "b"), "x\ny");
}

TEST(Csv, RaggedRowNamesFileAndLine) {
  try {
    // Row starting on line 4 (after a quoted newline on line 2-3) has one field too many.
    CsvTable::parse("a,b\n1,\"x\ny\"\n2,3,4\n", "ragged.csv");
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_EQ(e.path(), "ragged.csv");
    EXPECT_NE(std::string(e.what()).find("line 4"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("3 fields, header has 2"), std::string::npos) << e.what();
  }
}

TEST(Csv, UnterminatedQuoteAndMissingColumn) {
  EXPECT_THROW(CsvTable::parse("a,b\n1,\"open\n", "u.csv"), FormatError);
  const CsvTable t = CsvTable::parse("a,b\n1,2\n", "m.csv");
  try {
    t.column("zzz");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("m.csv"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("zzz"), std::string::npos);
  }
  EXPECT_THROW(CsvTable::read("/nonexistent/dir/x.csv"), IoError);
}

TEST(Csv, PtbXlDatabaseMatchesPythonCsv) {
  const auto& g = cgdmer::testing::golden()["csv"];
  const CsvTable t = CsvTable::read(cgdmer::testing::shared_data(g["path"]));
  EXPECT_EQ(t.n_rows(), g["n_rows"].get<std::size_t>());  // 21,580
  EXPECT_EQ(t.header(), g["header"].get<std::vector<std::string>>());
  for (const auto& c : g["cells"])
    EXPECT_EQ(t.at(c["row"].get<std::size_t>(), c["col"].get<std::string>()),
              c["value"].get<std::string>())
        << "row " << c["row"] << " col " << c["col"];
  std::size_t with_comma = 0;
  for (std::size_t r = 0; r < t.n_rows(); ++r)
    for (const auto& f : t.row(r))
      if (f.find(',') != std::string::npos) {
        ++with_comma;
        break;
      }
  EXPECT_EQ(with_comma, g["rows_with_comma"].get<std::size_t>());
}

}  // namespace
}  // namespace cgdmer
