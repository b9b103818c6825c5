// RFC 4180 CSV reader (quoted fields with commas, doubled quotes and newlines, as in
// PTB-XL's ptbxl_database.csv). The whole table is read into memory; the files it is used for
// (metadata, labels, splits) are at most a few hundred MB (MIMIC machine_measurements).
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

namespace cgdmer {

class CsvTable {
 public:
  static CsvTable read(const std::string& path);         // throws IoError / FormatError
  static CsvTable parse(const std::string& text, const std::string& path_for_errors);

  const std::vector<std::string>& header() const { return header_; }
  std::size_t n_rows() const { return rows_.size(); }
  bool has_column(const std::string& name) const;
  int column(const std::string& name) const;  // throws FormatError naming the file + column
  const std::string& at(std::size_t row, int col) const { return rows_[row][col]; }
  const std::string& at(std::size_t row, const std::string& name) const;
  const std::vector<std::string>& row(std::size_t r) const { return rows_[r]; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  std::unordered_map<std::string, int> index_;
};

}  // namespace cgdmer
