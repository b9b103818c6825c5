// CsvRowIndex (data/csv_row_index.h), the on-disk row index PTB-XL's adapter uses so prepare's
// memory stays flat: it must give exactly CsvTable's fields for every row, whatever the quoting
// and line ends, and refuse what CsvTable refuses, naming the file and the row's line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "core/error.h"
#include "data/csv_row_index.h"
#include "io/csv.h"
#include "synthetic_store.h"

namespace fs = std::filesystem;
using namespace cgdmer;

namespace {

std::string write_csv(const std::string& name, const std::string& text) {
  const std::string dir = cgdmer::testing::temp_dir("csvrowindex_" + name);  // one folder per file
  const std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  return path;
}

}  // namespace

TEST(CsvRowIndex, AgreesWithCsvTableOnQuotingAndLineEnds) {
  // BOM, CRLF and lone CR line ends, a blank line, quoted commas, doubled quotes, a newline
  // inside quotes, a quote inside an unquoted field (literal), no final line end.
  const std::string text =
      "\xEF\xBB\xBF" "id,report,codes\r\n"
      "1,\"sinus, normal\",\"{'NORM': 100.0}\"\r\n"
      "\r\n"
      "2,\"he said \"\"hi\"\"\",x\n"
      "3,\"two\nlines\",\r"
      "4,a\"b,\"\"\n"
      "5,last,row";
  const std::string path = write_csv("quoting.csv", text);
  const CsvTable table = CsvTable::read(path);
  std::vector<std::vector<std::string>> visited;
  const CsvRowIndex index(path, [&](const std::vector<std::string>& header, std::size_t k,
                                    const std::vector<std::string>& fields) {
    EXPECT_EQ(header, table.header());
    EXPECT_EQ(k, visited.size());
    visited.push_back(fields);
  });
  EXPECT_EQ(index.header(), table.header());
  ASSERT_EQ(index.n_rows(), table.n_rows());
  ASSERT_EQ(index.n_rows(), 5u);
  for (std::size_t r = 0; r < table.n_rows(); ++r) {
    EXPECT_EQ(index.row(r), table.row(r)) << "row " << r;
    EXPECT_EQ(visited[r], table.row(r)) << "row " << r;
  }
  EXPECT_EQ(index.row(1)[1], "he said \"hi\"");
  EXPECT_EQ(index.row(2)[1], "two\nlines");
  EXPECT_EQ(index.row(3)[1], "a\"b");
  EXPECT_EQ(index.column("codes"), 2);
  EXPECT_THROW(index.column("nope"), FormatError);
  fs::remove_all(fs::path(path).parent_path());
}

TEST(CsvRowIndex, RowsReadConcurrentlyAreTheSame) {
  std::string text = "id,text\n";
  for (int i = 0; i < 500; ++i) text += std::to_string(i) + ",\"row " + std::to_string(i) + ", quoted\"\n";
  const std::string path = write_csv("many.csv", text);
  const CsvRowIndex index(path);
  ASSERT_EQ(index.n_rows(), 500u);
  std::vector<int> bad(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (std::size_t k = std::size_t(t); k < 500; k += 4)
        if (index.row(k) != std::vector<std::string>{std::to_string(k), "row " + std::to_string(k) + ", quoted"})
          ++bad[std::size_t(t)];
    });
  for (auto& th : threads) th.join();
  for (int b : bad) EXPECT_EQ(b, 0);
  fs::remove_all(fs::path(path).parent_path());
}

TEST(CsvRowIndex, BadRowsAreFormatErrorsNamingFileAndLine) {
  const std::string ragged = write_csv("ragged.csv", "a,b,c\n1,2,3\n\"x\ny\",2\n");
  try {
    CsvRowIndex index(ragged);
    FAIL() << "a ragged row was accepted";
  } catch (const FormatError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("ragged.csv"), std::string::npos) << m;
    EXPECT_NE(m.find("row starting on line 3"), std::string::npos) << m;
    EXPECT_NE(m.find("row has 2 fields, header has 3"), std::string::npos) << m;
  }
  const std::string open_quote = write_csv("open_quote.csv", "a,b\n1,2\n3,\"never closed\n");
  try {
    CsvRowIndex index(open_quote);
    FAIL() << "an unterminated quote was accepted";
  } catch (const FormatError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("open_quote.csv"), std::string::npos) << m;
    EXPECT_NE(m.find("line 3"), std::string::npos) << m;
    EXPECT_NE(m.find("unterminated quoted field"), std::string::npos) << m;
  }
  const std::string empty = write_csv("empty.csv", "\n\n");
  EXPECT_THROW(CsvRowIndex{empty}, FormatError);
  EXPECT_THROW(CsvRowIndex{ragged + ".absent"}, IoError);
  for (const auto& p : {ragged, open_quote, empty}) fs::remove_all(fs::path(p).parent_path());
}
