// RFC 4180 CSV reader: a small state machine over the whole file text. Handles quoted fields
// containing commas, doubled quotes ("") and newlines, CRLF or LF line ends, a UTF-8 byte order
// mark, and a missing final newline. Every row must have as many fields as the header row;
// a ragged row is a FormatError naming the file and the (1-based, physical) line it starts on.
#include "io/csv.h"

#include <fstream>
#include <sstream>

#include "core/error.h"

namespace cgdmer {

namespace {

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, "cannot open CSV file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw IoError(path, "read error");
  return ss.str();
}

}  // namespace

CsvTable CsvTable::read(const std::string& path) { return parse(read_whole_file(path), path); }

CsvTable CsvTable::parse(const std::string& text, const std::string& path_for_errors) {
  CsvTable t;
  t.path_ = path_for_errors;
  std::size_t i = 0;
  const std::size_t n = text.size();
  if (n >= 3 && static_cast<unsigned char>(text[0]) == 0xEF &&
      static_cast<unsigned char>(text[1]) == 0xBB && static_cast<unsigned char>(text[2]) == 0xBF)
    i = 3;  // UTF-8 BOM

  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> row_lines;  // physical line each row starts on
  std::vector<std::string> row;
  std::string field;
  std::size_t line = 1, row_start_line = 1;
  // pending: a field exists that must be pushed at the end of the row (distinguishes a blank
  // line from a row with one empty field). in_field: characters of the current field were read
  // (a quote opens a quoted field only at the start of a field).
  bool pending = false, in_field = false;

  auto end_field = [&] {
    row.push_back(std::move(field));
    field.clear();
    pending = in_field = false;
  };
  auto end_row = [&] {
    rows.push_back(std::move(row));
    row_lines.push_back(row_start_line);
    row.clear();
  };

  while (i < n) {
    char c = text[i];
    if (c == '"' && !in_field) {
      // Quoted field: runs to the next quote that is not doubled.
      std::size_t quote_line = line;
      ++i;
      pending = in_field = true;
      bool closed = false;
      while (i < n) {
        char q = text[i];
        if (q == '"') {
          if (i + 1 < n && text[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        if (q == '\n') ++line;
        field.push_back(q);
        ++i;
      }
      if (!closed)
        throw FormatError(path_for_errors,
                          "unterminated quoted field starting on line " + std::to_string(quote_line));
      // After the closing quote only a separator, a line end or EOF may follow.
      if (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
        throw FormatError(path_for_errors, "unexpected character after closing quote on line " +
                                               std::to_string(line));
      continue;
    }
    if (c == ',') {
      end_field();
      pending = true;  // a separator always opens one more (possibly empty) field
      ++i;
      continue;
    }
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < n && text[i + 1] == '\n') ++i;
      ++i;
      if (pending || !row.empty()) {
        end_field();
        end_row();
      }  // else: blank line, skipped
      ++line;
      row_start_line = line;
      continue;
    }
    field.push_back(c);
    pending = in_field = true;
    ++i;
  }
  if (pending || !row.empty()) {
    end_field();
    end_row();
  }

  if (rows.empty()) throw FormatError(path_for_errors, "empty CSV file (no header row)");
  t.header_ = std::move(rows.front());
  for (std::size_t c = 0; c < t.header_.size(); ++c) t.index_.emplace(t.header_[c], int(c));
  const std::size_t width = t.header_.size();
  t.rows_.reserve(rows.size() - 1);
  for (std::size_t r = 1; r < rows.size(); ++r) {
    if (rows[r].size() != width)
      throw FormatError(path_for_errors, "line " + std::to_string(row_lines[r]) + ": row has " +
                                             std::to_string(rows[r].size()) + " fields, header has " +
                                             std::to_string(width));
    t.rows_.push_back(std::move(rows[r]));
  }
  return t;
}

bool CsvTable::has_column(const std::string& name) const { return index_.count(name) != 0; }

int CsvTable::column(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) throw FormatError(path_, "no column named '" + name + "'");
  return it->second;
}

const std::string& CsvTable::at(std::size_t row, const std::string& name) const {
  return rows_[row][column(name)];
}

}  // namespace cgdmer
