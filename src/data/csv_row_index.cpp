// CsvRowIndex (csv_row_index.h): a byte-level scan that follows io/csv.cpp's quoting rules
// only far enough to find where rows end (a quote opens a quoted field only at the start of a
// field; "" inside quotes is a literal quote; CR, LF or CRLF end a row outside quotes), and
// CsvTable::parse on one row's text for the fields, so both readers agree on every field.
#include "data/csv_row_index.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>

#include "core/error.h"
#include "io/csv.h"

namespace cgdmer {

namespace {

// CsvTable's problem text for a one-row snippet names the snippet's line numbers: drop them
// and name the row's line in the real file instead.
[[noreturn]] void rethrow_for_row(const FormatError& e, const std::string& path, std::size_t line) {
  static const std::regex snippet_line(R"(line \d+: |,? (starting )?on line \d+)");
  throw FormatError(path, "row starting on line " + std::to_string(line) + ": " +
                              std::regex_replace(e.problem(), snippet_line, ""));
}

// The fields of one row's text: CsvTable parses it as a one-row table (its "header").
std::vector<std::string> parse_row(const std::string& text, std::size_t width, const std::string& path) {
  std::vector<std::string> fields = CsvTable::parse(text, path).header();
  if (fields.size() != width)
    throw FormatError(path, "line 1: row has " + std::to_string(fields.size()) + " fields, header has " +
                                std::to_string(width));
  return fields;
}

}  // namespace

CsvRowIndex::CsvRowIndex(const std::string& path, const Visitor& visit) : path_(path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, "cannot open CSV file");

  std::string cur;  // bytes of the row being scanned (one row at a time: bounded memory)
  std::uint64_t pos = 0, row_begin = 0;
  std::size_t line = 1, row_line = 1;
  bool in_quotes = false, quote_seen = false, at_field_start = true, prev_cr = false, have_header = false;

  auto emit = [&] {
    const bool content = cur.find_first_not_of("\r\n") != std::string::npos;
    if (content) {
      if (!have_header) {
        header_text_ = cur;
        header_ = CsvTable::parse(header_text_, path_).header();
        for (std::size_t c = 0; c < header_.size(); ++c) index_.emplace(header_[c], int(c));
        have_header = true;
      } else {
        std::vector<std::string> fields;
        try {
          fields = parse_row(cur, header_.size(), path_);
        } catch (const FormatError& e) {
          rethrow_for_row(e, path_, row_line);
        }
        if (cur.size() > 0xFFFFFFFFu) throw FormatError(path_, "row starting on line " +
                                                                   std::to_string(row_line) + " is over 4 GB");
        if (visit) visit(header_, begin_.size(), fields);
        begin_.push_back(row_begin);
        size_.push_back(std::uint32_t(cur.size()));
      }
    }
    cur.clear();
  };

  std::vector<char> buf(1 << 16);
  bool first_chunk = true;
  while (in) {
    in.read(buf.data(), std::streamsize(buf.size()));
    const std::size_t n = std::size_t(in.gcount());
    if (n == 0) break;
    std::size_t i = 0;
    if (first_chunk && n >= 3 && static_cast<unsigned char>(buf[0]) == 0xEF &&
        static_cast<unsigned char>(buf[1]) == 0xBB && static_cast<unsigned char>(buf[2]) == 0xBF) {
      i = 3;  // UTF-8 BOM
      pos = row_begin = 3;
    }
    first_chunk = false;
    for (; i < n; ++i, ++pos) {
      const char c = buf[i];
      const bool newline = c == '\n' ? !prev_cr : c == '\r';
      prev_cr = c == '\r';
      if (in_quotes) {
        if (quote_seen) {
          quote_seen = false;
          if (c == '"') {  // doubled quote: still inside
            cur += c;
            continue;
          }
          in_quotes = false;  // the previous quote closed the field: handle c below
        } else {
          if (c == '"') quote_seen = true;
          if (c == '\n') ++line;
          cur += c;
          continue;
        }
      }
      if (c == '\r' || c == '\n') {
        emit();
        if (newline) ++line;
        row_begin = pos + 1;
        row_line = line;
        at_field_start = true;
        continue;
      }
      if (c == '"' && at_field_start) in_quotes = true;
      at_field_start = c == ',';
      cur += c;
    }
  }
  if (in.bad()) throw IoError(path, "read error");
  emit();  // last row without a line end (an unterminated quote fails in its parse)
  if (!have_header) throw FormatError(path, "empty CSV file (no header row)");
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw IoError(path_, std::string("cannot open CSV file: ") + std::strerror(errno));
}

CsvRowIndex::~CsvRowIndex() {
  if (fd_ >= 0) ::close(fd_);
}

int CsvRowIndex::column(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) throw FormatError(path_, "no column named '" + name + "'");
  return it->second;
}

std::vector<std::string> CsvRowIndex::row(std::size_t k) const {
  if (k >= begin_.size()) throw FormatError(path_, "row " + std::to_string(k) + " out of range");
  std::string text(size_[k], '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t r = ::pread(fd_, &text[got], text.size() - got, off_t(begin_[k] + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0)
      throw IoError(path_, r == 0 ? "file shrank while being read (changed since it was indexed)"
                                  : std::string("read error: ") + std::strerror(errno));
    got += std::size_t(r);
  }
  try {
    return parse_row(text, header_.size(), path_);
  } catch (const FormatError& e) {
    throw FormatError(path_, "data row " + std::to_string(k + 1) + " changed since the file was indexed (" +
                                 e.problem() + ")");
  }
}

}  // namespace cgdmer
