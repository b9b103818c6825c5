// read_edf: European Data Format (EDF, and EDF+C: contiguous EDF+) → EcgRecord in mV.
// Hand-written on purpose: Debian ships no library that decodes EDF (no libedflib /
// libbiosig dev package we can depend on), and the format is a fixed ASCII header plus int16
// samples. Layout (all header fields ASCII, space-padded):
//   256-byte main header: version 8, patient 80, recording 80, start date 8, start time 8,
//     header bytes 8, reserved 44 ("EDF+C" / "EDF+D" for EDF+), number of data records 8,
//     record duration (s) 8, number of signals ns 4;
//   ns × 256 bytes of signal headers, each field stored for all signals in turn: label 16,
//     transducer 80, physical dimension 8, physical min 8, physical max 8, digital min 8,
//     digital max 8, prefiltering 80, samples per data record 8, reserved 32;
//   then the data records: for each record, for each signal, its samples as little-endian
//     int16.
// physical = pmin + (digital − dmin) × (pmax − pmin) / (dmax − dmin), in the signal's
// dimension; uV / mV / V are converted to mV (other dimensions are kept, named in units).
// The "EDF Annotations" signal of EDF+ is skipped; EDF+D (discontinuous) is refused, as are
// signals of different rates (one EcgRecord has one fs). The header's scaling is applied as
// written, even where a converter wrote a nominal range (see docs/formats.md).
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "io/ecg_readers.h"
#include "io/lead_names.h"
#include "io/xml_doc.h"  // read_file_bytes

namespace cgdmer {

namespace {

std::string field(const std::string& b, std::size_t off, std::size_t len) {
  std::string s = b.substr(off, len);
  const auto e = s.find_last_not_of(' ');
  s = e == std::string::npos ? std::string() : s.substr(0, e + 1);
  const auto f = s.find_first_not_of(' ');
  return f == std::string::npos ? std::string() : s.substr(f);
}

double number_field(const std::string& b, std::size_t off, std::size_t len, const std::string& what,
                    const std::string& path) {
  const std::string s = field(b, off, len);
  char* end = nullptr;
  const double v = s.empty() ? 0 : std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !std::isfinite(v))
    throw FormatError(path, "EDF header: " + what + " is not a number: '" + s + "'");
  return v;
}

double to_millivolts(const std::string& dim) {
  if (dim == "uV" || dim == "µV") return 1e-3;
  if (dim == "mV") return 1.0;
  if (dim == "V") return 1e3;
  return 0;  // unknown: keep the value in the file's unit
}

struct EdfSignal {
  std::string label, dim;
  double pmin = 0, pmax = 0, dmin = 0, dmax = 0;
  std::int64_t spr = 0;  // samples per data record
  bool annotation = false;
};

}  // namespace

EcgRecord read_edf(const std::string& path) {
  const std::string b = read_file_bytes(path);
  if (b.size() < 256) throw FormatError(path, "EDF file shorter than its 256-byte header (" + std::to_string(b.size()) + " bytes)");
  if (field(b, 0, 8) != "0") throw FormatError(path, "EDF version field is '" + field(b, 0, 8) + "', expected '0'");
  const std::string reserved = field(b, 192, 44);
  if (reserved.rfind("EDF+D", 0) == 0) throw FormatError(path, "EDF+D (discontinuous recording) is not supported");
  const double header_bytes = number_field(b, 184, 8, "header size", path);
  double n_records = number_field(b, 236, 8, "number of data records", path);
  const double duration = number_field(b, 244, 8, "data record duration", path);
  const double ns_d = number_field(b, 252, 4, "number of signals", path);
  if (ns_d < 1 || ns_d > 4096 || ns_d != std::floor(ns_d))
    throw FormatError(path, "EDF header: implausible number of signals " + field(b, 252, 4));
  const std::size_t ns = std::size_t(ns_d);
  if (header_bytes != 256.0 * double(ns + 1))
    throw FormatError(path, "EDF header size " + field(b, 184, 8) + " does not match " + std::to_string(ns) +
                                " signals (expected " + std::to_string(256 * (ns + 1)) + ")");
  if (b.size() < 256 * (ns + 1)) throw FormatError(path, "EDF file shorter than its signal headers");
  if (!(duration > 0)) throw FormatError(path, "EDF data record duration must be positive, is " + field(b, 244, 8));

  std::vector<EdfSignal> sig(ns);
  const std::size_t base = 256;
  auto at = [&](std::size_t field_offset, std::size_t width, std::size_t i) { return base + field_offset * ns + i * width; };
  std::int64_t bytes_per_record = 0;
  for (std::size_t i = 0; i < ns; ++i) {
    EdfSignal& s = sig[i];
    const std::string which = "signal " + std::to_string(i + 1);
    s.label = field(b, at(0, 16, i), 16);
    s.annotation = s.label == "EDF Annotations";
    s.dim = field(b, at(96, 8, i), 8);
    s.pmin = number_field(b, at(104, 8, i), 8, which + " physical minimum", path);
    s.pmax = number_field(b, at(112, 8, i), 8, which + " physical maximum", path);
    s.dmin = number_field(b, at(120, 8, i), 8, which + " digital minimum", path);
    s.dmax = number_field(b, at(128, 8, i), 8, which + " digital maximum", path);
    const double spr = number_field(b, at(216, 8, i), 8, which + " samples per data record", path);
    if (spr < 1 || spr > 1e7 || spr != std::floor(spr))
      throw FormatError(path, which + ": implausible samples per data record " + field(b, at(216, 8, i), 8));
    s.spr = std::int64_t(spr);
    bytes_per_record += 2 * s.spr;
    if (!s.annotation && !(s.dmax > s.dmin))
      throw FormatError(path, which + " (" + s.label + "): digital maximum must exceed digital minimum");
    if (!s.annotation && s.pmax == s.pmin)
      throw FormatError(path, which + " (" + s.label + "): physical minimum equals maximum");
  }
  const std::size_t data_bytes = b.size() - 256 * (ns + 1);
  // -1 = "unknown" (a writer that did not finish); take what the file holds.
  if (n_records == -1) n_records = double(data_bytes / std::size_t(bytes_per_record));
  if (n_records < 1 || n_records != std::floor(n_records))
    throw FormatError(path, "EDF header: implausible number of data records " + field(b, 236, 8));
  if (double(data_bytes) != n_records * double(bytes_per_record))
    throw FormatError(path, "EDF data section is " + std::to_string(data_bytes) + " bytes, header implies " +
                                std::to_string(std::int64_t(n_records)) + " records x " +
                                std::to_string(bytes_per_record) + " bytes");

  std::vector<std::size_t> ecg;  // indices of the signals we keep
  std::size_t off_in_record = 0;
  std::vector<std::size_t> offsets(ns);
  for (std::size_t i = 0; i < ns; ++i) {
    offsets[i] = off_in_record;
    off_in_record += std::size_t(2 * sig[i].spr);
    if (sig[i].annotation) continue;
    if (!ecg.empty() && sig[i].spr != sig[ecg.front()].spr)
      throw FormatError(path, "signals " + sig[ecg.front()].label + " and " + sig[i].label +
                                  " have different sample rates (not supported: one record, one rate)");
    ecg.push_back(i);
  }
  if (ecg.empty()) throw FormatError(path, "EDF file has no signal besides annotations");

  const std::int64_t nrec = std::int64_t(n_records), spr = sig[ecg.front()].spr;
  EcgRecord rec;
  rec.id = std::filesystem::path(path).stem().string();
  rec.path = path;
  rec.fs = double(spr) / duration;
  rec.n_leads = int(ecg.size());
  rec.n_samples = nrec * spr;
  rec.data.resize(ecg.size() * std::size_t(rec.n_samples));
  const auto* data = reinterpret_cast<const unsigned char*>(b.data()) + 256 * (ns + 1);
  for (std::size_t k = 0; k < ecg.size(); ++k) {
    const EdfSignal& s = sig[ecg[k]];
    const double mv = to_millivolts(s.dim);
    const double gain = (s.pmax - s.pmin) / (s.dmax - s.dmin) * (mv > 0 ? mv : 1.0);
    const double p0 = s.pmin * (mv > 0 ? mv : 1.0);
    float* dst = rec.lead(int(k));
    for (std::int64_t r = 0; r < nrec; ++r) {
      const unsigned char* p = data + std::size_t(r) * std::size_t(bytes_per_record) + offsets[ecg[k]];
      for (std::int64_t j = 0; j < spr; ++j) {
        const std::int16_t d = std::int16_t(std::uint16_t(p[2 * j]) | std::uint16_t(p[2 * j + 1]) << 8);
        dst[r * spr + j] = float(p0 + (double(d) - s.dmin) * gain);
      }
    }
    const std::string name = canonical_lead_name(s.label);
    rec.lead_names.push_back(name.empty() ? "signal " + std::to_string(ecg[k] + 1) : name);
    rec.units.push_back(mv > 0 ? "mV" : s.dim);
  }
  rec.comments.push_back(std::string("Format: ") + (reserved.rfind("EDF+C", 0) == 0 ? "EDF+C" : "EDF"));
  if (const std::string rid = field(b, 88, 80); !rid.empty()) rec.comments.push_back("Recording: " + rid);
  rec.comments.push_back("Start: " + field(b, 168, 8) + " " + field(b, 176, 8));
  return rec;
}

}  // namespace cgdmer
