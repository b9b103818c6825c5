// WFDB .hea parser (see wfdb_header.h for the grammar). Strict about what we decode (numbers
// must parse completely, counts must agree) and lenient about free text (base time/date formats
// differ between databases: Georgia writes "05-May-2020 14:50:55").
#include "io/wfdb_header.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace cgdmer {

namespace {

constexpr std::size_t kMaxHeaderBytes = 1 << 20;  // real headers are < 10 KB

std::string trim(const std::string& s) {
  std::size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  std::size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split_ws(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string tok;
  while (in >> tok) out.push_back(tok);
  return out;
}

class LineError {
 public:
  LineError(const std::string& path, int line) : path_(path), line_(line) {}
  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(path_, "unparseable header, line " + std::to_string(line_) + ": " + what);
  }
  double to_double(const std::string& s, const char* field) const {
    errno = 0;
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(v))
      fail(std::string("bad ") + field + " '" + s + "'");
    return v;
  }
  std::int64_t to_int(const std::string& s, const char* field) const {
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || end != s.c_str() + s.size() || errno == ERANGE)
      fail(std::string("bad ") + field + " '" + s + "'");
    return v;
  }

 private:
  const std::string& path_;
  int line_;
};

void parse_record_line(const std::string& line, const LineError& err, WfdbHeader& h) {
  auto tok = split_ws(line);
  if (tok.size() < 2) err.fail("record line needs at least a name and a signal count");
  std::string name = tok[0];
  if (auto slash = name.find('/'); slash != std::string::npos) {
    h.n_segments = int(err.to_int(name.substr(slash + 1), "segment count"));
    name = name.substr(0, slash);
  }
  h.record_name = name;
  std::int64_t n_sig = err.to_int(tok[1], "signal count");
  if (n_sig < 0 || n_sig > 4096) err.fail("signal count " + tok[1] + " out of range");
  h.n_signals = int(n_sig);
  if (tok.size() > 2) {
    // fs[/counter_freq[(base_counter)]]
    std::string f = tok[2];
    std::string counter;
    if (auto slash = f.find('/'); slash != std::string::npos) {
      counter = f.substr(slash + 1);
      f = f.substr(0, slash);
    }
    h.fs = err.to_double(f, "sampling frequency");
    if (h.fs <= 0) err.fail("sampling frequency must be positive, got " + f);
    if (!counter.empty()) {
      if (auto p = counter.find('('); p != std::string::npos) {
        if (counter.back() != ')') err.fail("bad counter frequency '" + counter + "'");
        h.base_counter = err.to_double(counter.substr(p + 1, counter.size() - p - 2), "base counter");
        counter = counter.substr(0, p);
      }
      h.counter_freq = err.to_double(counter, "counter frequency");
    }
  }
  if (tok.size() > 3) {
    h.n_samples = err.to_int(tok[3], "number of samples");
    if (h.n_samples < 0) err.fail("negative number of samples " + tok[3]);
  }
  for (std::size_t i = 4; i < tok.size(); ++i) h.base_time += (i > 4 ? " " : "") + tok[i];
}

WfdbSignalSpec parse_signal_line(const std::string& line, const LineError& err) {
  WfdbSignalSpec s;
  // The description is the free-text remainder after the 8th field, so split by hand.
  std::vector<std::string> tok;
  std::size_t pos = 0;
  while (tok.size() < 8) {
    std::size_t b = line.find_first_not_of(" \t", pos);
    if (b == std::string::npos) break;
    std::size_t e = line.find_first_of(" \t", b);
    if (e == std::string::npos) e = line.size();
    tok.push_back(line.substr(b, e - b));
    pos = e;
  }
  if (pos < line.size()) s.description = trim(line.substr(pos));
  if (tok.size() < 2) err.fail("signal line needs at least a file name and a format");
  s.file_name = tok[0];

  // format[xspf][:skew][+offset]
  std::string f = tok[1];
  if (auto p = f.find('+'); p != std::string::npos) {
    s.byte_offset = err.to_int(f.substr(p + 1), "byte offset");
    if (s.byte_offset < 0) err.fail("negative byte offset in '" + tok[1] + "'");
    f = f.substr(0, p);
  }
  if (auto p = f.find(':'); p != std::string::npos) {
    s.skew = int(err.to_int(f.substr(p + 1), "skew"));
    f = f.substr(0, p);
  }
  if (auto p = f.find('x'); p != std::string::npos) {
    s.samples_per_frame = int(err.to_int(f.substr(p + 1), "samples per frame"));
    f = f.substr(0, p);
  }
  s.format = int(err.to_int(f, "format"));
  s.adc_resolution = s.format == 212 ? 12 : 16;

  bool baseline_given = false;
  if (tok.size() > 2) {
    // gain[(baseline)][/units]
    std::string g = tok[2];
    if (auto p = g.find('/'); p != std::string::npos) {
      s.units = g.substr(p + 1);
      g = g.substr(0, p);
    }
    if (auto p = g.find('('); p != std::string::npos) {
      if (g.back() != ')') err.fail("bad gain '" + tok[2] + "'");
      s.baseline = double(err.to_int(g.substr(p + 1, g.size() - p - 2), "baseline"));
      baseline_given = true;
      g = g.substr(0, p);
    }
    s.gain = err.to_double(g, "gain");
    if (s.gain < 0) err.fail("negative gain '" + tok[2] + "'");
    if (s.gain == 0) s.gain = 200;  // WFDB: 0 means "uncalibrated", DEFGAIN = 200
  }
  if (tok.size() > 3) s.adc_resolution = int(err.to_int(tok[3], "ADC resolution"));
  if (tok.size() > 4) s.adc_zero = err.to_int(tok[4], "ADC zero");
  if (tok.size() > 5) s.init_value = err.to_int(tok[5], "initial value");
  if (tok.size() > 6) s.checksum = err.to_int(tok[6], "checksum");
  if (tok.size() > 7) s.block_size = err.to_int(tok[7], "block size");
  if (!baseline_given) s.baseline = double(s.adc_zero);
  return s;
}

}  // namespace

WfdbHeader parse_wfdb_header(const std::string& text, const std::string& path) {
  WfdbHeader h;
  bool have_record = false;
  std::istringstream in(text);
  std::string raw;
  int line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    if (raw.find('\0') != std::string::npos)
      throw FormatError(path, "unparseable header, line " + std::to_string(line_no) +
                                  ": contains NUL bytes (not a text file?)");
    std::string line = trim(raw);
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::string c = trim(line.substr(1));
      if (!c.empty()) h.comments.push_back(c);
      continue;
    }
    LineError err(path, line_no);
    if (!have_record) {
      parse_record_line(line, err, h);
      if (h.n_segments != 1)
        throw FormatError(path, "multi-segment WFDB records are not supported (" +
                                    std::to_string(h.n_segments) + " segments)");
      have_record = true;
    } else if (int(h.signals.size()) < h.n_signals) {
      h.signals.push_back(parse_signal_line(line, err));
    } else {
      err.fail("more signal lines than the " + std::to_string(h.n_signals) +
               " the record line announces");
    }
  }
  if (!have_record) throw FormatError(path, "unparseable header: no record line");
  if (int(h.signals.size()) != h.n_signals)
    throw FormatError(path, "unparseable header: record line announces " +
                                std::to_string(h.n_signals) + " signals, found " +
                                std::to_string(h.signals.size()) + " signal lines");
  return h;
}

WfdbHeader read_wfdb_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, "cannot open header file");
  std::string text;
  text.resize(kMaxHeaderBytes + 1);
  in.read(&text[0], std::streamsize(text.size()));
  text.resize(std::size_t(in.gcount()));
  if (text.size() > kMaxHeaderBytes)
    throw FormatError(path, "header file larger than 1 MiB (not a WFDB header?)");
  return parse_wfdb_header(text, path);
}

}  // namespace cgdmer
