// read_csv_record: a plain CSV ECG — a header row of lead names, then one row per sample
// instant, one column per lead (RFC 4180, parsed by CsvTable). CSV carries no sample rate, so
// the caller gives it; it carries no unit either, so the caller says whether the numbers are
// millivolts (the default) or microvolts. Output is in mV, leads in column order, names in the
// standard spelling where they are one of the 12 (case-insensitive). An empty cell is a
// missing sample (NaN, as WFDB's invalid-sample marker); any other non-number is an error.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>

#include "core/error.h"
#include "io/csv.h"
#include "io/ecg_readers.h"
#include "io/lead_names.h"

namespace cgdmer {

EcgRecord csv_record_from_table(const CsvTable& t, double fs, CsvUnits units) {
  const std::string& path = t.path();
  if (!(fs > 0 && fs <= 1e6)) throw FormatError(path, "CSV record: sample rate must be given (> 0 Hz), got " + std::to_string(fs));
  const std::size_t n_leads = t.header().size();
  if (n_leads == 0) throw FormatError(path, "CSV record: header row names no lead");
  if (t.n_rows() == 0) throw FormatError(path, "CSV record: no samples (header row only)");
  EcgRecord rec;
  rec.id = std::filesystem::path(path).stem().string();
  rec.path = path;
  rec.fs = fs;
  rec.n_leads = int(n_leads);
  rec.n_samples = std::int64_t(t.n_rows());
  for (std::size_t c = 0; c < n_leads; ++c) {
    const std::string name = canonical_lead_name(t.header()[c]);
    if (name.empty()) throw FormatError(path, "CSV record: column " + std::to_string(c + 1) + " has no lead name");
    for (const auto& n : rec.lead_names)
      if (n == name) throw FormatError(path, "CSV record: lead " + name + " appears twice in the header");
    rec.lead_names.push_back(name);
    rec.units.push_back("mV");
  }
  const double scale = units == CsvUnits::kMicrovolts ? 1e-3 : 1.0;
  rec.data.resize(n_leads * t.n_rows());
  for (std::size_t r = 0; r < t.n_rows(); ++r)
    for (std::size_t c = 0; c < n_leads; ++c) {
      const std::string& s = t.at(r, int(c));
      float v = std::numeric_limits<float>::quiet_NaN();
      if (!s.empty()) {
        char* end = nullptr;
        const double x = std::strtod(s.c_str(), &end);
        if (*end != '\0' || !std::isfinite(x))
          throw FormatError(path, "CSV record: row " + std::to_string(r + 2) + ", lead " + rec.lead_names[c] +
                                      ": '" + s + "' is not a number");
        v = float(x * scale);
      }
      rec.data[c * t.n_rows() + r] = v;
    }
  rec.comments.push_back(std::string("Format: CSV, ") + (units == CsvUnits::kMicrovolts ? "uV" : "mV") +
                         ", fs given by the caller");
  return rec;
}

EcgRecord read_csv_record(const std::string& path, double fs, CsvUnits units) {
  // Check the rate before reading a possibly large file.
  if (!(fs > 0 && fs <= 1e6)) throw FormatError(path, "CSV record: sample rate must be given (> 0 Hz), got " + std::to_string(fs));
  return csv_record_from_table(CsvTable::read(path), fs, units);
}

}  // namespace cgdmer
