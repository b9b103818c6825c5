// A CSV file kept on disk and read one row at a time: one streaming pass records where each
// row starts (12 bytes per row), then row(k) reads and parses just that row. For metadata
// tables with one row per record (PTB-XL's ptbxl_database.csv), so that `prepare` memory does
// not grow with the number of records the way a whole io/csv.h CsvTable in memory does.
// Field syntax and errors are CsvTable's (RFC 4180: quoted fields with commas, doubled quotes
// and newlines, CRLF/LF/CR line ends, UTF-8 BOM, blank lines skipped); every row is parsed once
// while indexing, so a ragged or unterminated row is a FormatError from the constructor.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace cgdmer {

class CsvRowIndex {
 public:
  // (header fields, data row k, its fields): called for every data row in file order while
  // indexing, e.g. to check ids without a second pass.
  using Visitor = std::function<void(const std::vector<std::string>&, std::size_t, const std::vector<std::string>&)>;

  // Indexes `path` (IoError / FormatError naming the file and line); `visit` may be empty.
  explicit CsvRowIndex(const std::string& path, const Visitor& visit = {});
  ~CsvRowIndex();
  CsvRowIndex(const CsvRowIndex&) = delete;
  CsvRowIndex& operator=(const CsvRowIndex&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<std::string>& header() const { return header_; }
  std::size_t n_rows() const { return begin_.size(); }
  int column(const std::string& name) const;  // FormatError naming the file + column
  // The fields of data row k (0-based), read from the file again: thread-safe (pread), so
  // prepare's workers call it concurrently. IoError / FormatError if the file changed since.
  std::vector<std::string> row(std::size_t k) const;

 private:
  std::string path_;
  int fd_ = -1;              // kept open for row(): pread needs no lock
  std::string header_text_;  // the header row as in the file (re-parsed with each row)
  std::vector<std::string> header_;
  std::unordered_map<std::string, int> index_;
  std::vector<std::uint64_t> begin_;  // byte offset of each data row
  std::vector<std::uint32_t> size_;   // its length in bytes, without the line end
};

}  // namespace cgdmer
