// read_wfdb_record: .hea + signal files → EcgRecord in physical units. Signals that share one
// file (consecutive signal lines with the same file name) are frame-interleaved in it; a record
// may use several files (PTB Diagnostic: 12 leads in .dat, 3 Frank leads in .xyz; LUDB and
// PTB-XL: one .dat). Checks, each a FormatError naming the file: supported format, samples per
// frame 1, file size = header's sample count exactly, MAT v4 header for Challenge .mat files,
// per-signal checksum (sum of ADC values mod 2^16).
#include <cctype>
#include <filesystem>
#include <fstream>
#include <limits>

#include "core/error.h"
#include "io/ecg_readers.h"
#include "io/mat_v4.h"
#include "io/wfdb_formats.h"
#include "io/wfdb_header.h"

namespace cgdmer {

namespace fs = std::filesystem;

namespace {

bool ends_with_ci(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  for (std::size_t i = 0; i < suffix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[s.size() - suffix.size() + i])) !=
        std::tolower(static_cast<unsigned char>(suffix[i])))
      return false;
  return true;
}

std::vector<std::uint8_t> read_bytes(const std::string& path, const std::string& hea_path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw IoError(path, "signal file missing (listed in " + hea_path + ")");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, "cannot open signal file");
  in.seekg(0, std::ios::end);
  const auto size = std::streamoff(in.tellg());
  in.seekg(0);
  std::vector<std::uint8_t> buf(std::size_t(size < 0 ? 0 : size));
  if (!buf.empty() && !in.read(reinterpret_cast<char*>(buf.data()), std::streamsize(buf.size())))
    throw IoError(path, "read error");
  return buf;
}

// WFDB marks missing samples with the most negative value of the format.
std::int32_t invalid_sample(int format) { return format == 212 ? -2048 : -32768; }

// Signals this reader can decode: format 16 or 212, one sample per frame, no skew, a file.
void check_supported_signals(const WfdbHeader& h, const std::string& hea_path) {
  if (h.n_signals == 0) throw FormatError(hea_path, "record has zero signals (leads)");
  for (int s = 0; s < h.n_signals; ++s) {
    const auto& sig = h.signals[s];
    if (sig.format != 16 && sig.format != 212)
      throw FormatError(hea_path, "unsupported WFDB format " + std::to_string(sig.format) +
                                      " (signal " + std::to_string(s + 1) + "); supported: 16, 212");
    if (sig.samples_per_frame != 1)
      throw FormatError(hea_path, "signal " + std::to_string(s + 1) + " has " +
                                      std::to_string(sig.samples_per_frame) +
                                      " samples per frame; only 1 is supported");
    if (sig.skew != 0) throw FormatError(hea_path, "skewed signals are not supported");
    if (sig.file_name == "~" || sig.file_name.empty())
      throw FormatError(hea_path, "signal " + std::to_string(s + 1) + " has no signal file");
  }
}

// A run of consecutive signals stored (frame-interleaved) in the same file.
struct FileGroup {
  std::string file;
  int first = 0, count = 0;
};

// The header's signals as runs per file; a file whose signals are not consecutive is refused.
std::vector<FileGroup> group_signals_by_file(const WfdbHeader& h, const std::string& hea_path) {
  std::vector<FileGroup> groups;
  for (int s = 0; s < h.n_signals; ++s) {
    if (!groups.empty() && groups.back().file == h.signals[s].file_name) {
      ++groups.back().count;
      continue;
    }
    for (const auto& g : groups)
      if (g.file == h.signals[s].file_name)
        throw FormatError(hea_path, "signals of file " + g.file + " are not consecutive");
    groups.push_back({h.signals[s].file_name, s, 1});
  }
  return groups;
}

// Samples per signal: the header's, or (header silent, format 16) what the file holds.
std::int64_t resolve_n_samples(const WfdbHeader& h, const FileGroup& g, std::size_t avail,
                               std::int64_t n_samples, const std::string& hea_path) {
  if (n_samples < 0) {  // header omits the length: take it from the (first) file
    const std::size_t bytes_per_frame = h.signals[g.first].format == 16 ? 2 * g.count : 0;
    if (bytes_per_frame == 0) throw FormatError(hea_path, "number of samples missing from the record line");
    n_samples = std::int64_t(avail / bytes_per_frame);
  }
  // An empty record would otherwise come out as a valid 0-length EcgRecord and be padded
  // into an all-zero training example downstream (found by tests/corpus/).
  if (n_samples == 0)
    throw FormatError(hea_path, h.n_samples == 0
                                    ? std::string("record has 0 samples (record line says 0)")
                                    : "record has 0 samples (signal file " + g.file + " is empty)");
  // 2^40 samples per signal is ~70 years at 500 Hz: larger is a corrupt header, and the
  // bound keeps the byte arithmetic below from overflowing.
  if (n_samples > (std::int64_t(1) << 40))
    throw FormatError(hea_path, "implausible number of samples " + std::to_string(n_samples));
  return n_samples;
}

// The file must hold exactly the samples the header implies after its byte offset (format 212
// writers may pad an odd final sample to a full 3-byte pair).
void check_signal_file_size(std::size_t file_bytes, std::int64_t offset, int format, int count,
                            std::int64_t n_samples, const std::string& path, const std::string& hea_path) {
  const std::int64_t n_values = n_samples * count;
  const std::size_t avail = file_bytes - std::size_t(offset);
  const std::size_t needed = wfdb_bytes_needed(format, n_values);
  const std::string layout = std::to_string(count) + " signals x " + std::to_string(n_samples) +
                             " samples, format " + std::to_string(format) +
                             (offset ? ", after a " + std::to_string(offset) + "-byte header" : "");
  if (avail < needed)
    throw FormatError(path, "truncated signal file: " + hea_path + " implies " +
                                std::to_string(needed + offset) + " bytes (" + layout +
                                "), file has " + std::to_string(file_bytes));
  const bool padded_212 = format == 212 && n_values % 2 == 1 && avail == needed + 1;
  if (avail > needed && !padded_212)
    throw FormatError(path, "signal file size does not match header: " + hea_path + " implies " +
                                std::to_string(needed + offset) + " bytes (" + layout +
                                "), file has " + std::to_string(file_bytes));
}

// The header's checksum is the 16-bit two's-complement sum of the ADC values; headers write it
// signed (WFDB) or unsigned (PTB-XL), so compare modulo 2^16 and print in the header's convention.
void verify_checksum(const WfdbSignalSpec& sig, std::int64_t sum, const std::string& lead, const std::string& path) {
  if (!sig.checksum) return;
  const std::uint16_t data16 = std::uint16_t(std::uint64_t(sum) & 0xFFFF);
  const std::uint16_t head16 = std::uint16_t(std::uint64_t(*sig.checksum) & 0xFFFF);
  if (data16 == head16) return;
  const long long shown = *sig.checksum > 32767 ? (long long)data16 : (long long)std::int16_t(data16);
  throw FormatError(path, "checksum mismatch on lead " + lead + ": header " + std::to_string(*sig.checksum) +
                              ", data " + std::to_string(shown));
}

// Signal s, column k of the group's interleaved ADC values, into rec in physical units
// (missing samples → NaN), with its name, unit and checksum checked.
void store_lead(EcgRecord& rec, const WfdbSignalSpec& sig, int s, const std::vector<std::int32_t>& adc, int count,
                int k, const std::string& path) {
  const std::string lead = sig.description.empty() ? "signal " + std::to_string(s + 1) : sig.description;
  const std::int32_t invalid = invalid_sample(sig.format);
  float* out = rec.lead(s);
  std::int64_t sum = 0;
  for (std::int64_t t = 0; t < rec.n_samples; ++t) {
    const std::int32_t v = adc[std::size_t(t * count + k)];
    sum += v;
    out[t] = v == invalid ? std::numeric_limits<float>::quiet_NaN() : float((double(v) - sig.baseline) / sig.gain);
  }
  verify_checksum(sig, sum, lead, path);
  rec.lead_names.push_back(lead);
  rec.units.push_back(sig.units);
}

// One signal file: read, size-checked, decoded, its leads stored into rec. n_samples is the
// record's length (-1 until known: the first file then decides it).
void read_file_group(const WfdbHeader& h, const FileGroup& g, const fs::path& dir, const std::string& hea_path,
                     std::int64_t& n_samples, EcgRecord& rec) {
  const auto& first = h.signals[g.first];
  for (int s = g.first; s < g.first + g.count; ++s)
    if (h.signals[s].format != first.format || h.signals[s].byte_offset != first.byte_offset)
      throw FormatError(hea_path, "signals sharing " + g.file + " differ in format or offset");
  const std::string path = (dir / g.file).string();
  if (rec.path.empty()) rec.path = path;
  const std::vector<std::uint8_t> bytes = read_bytes(path, hea_path);
  const std::int64_t offset = first.byte_offset;
  if (std::int64_t(bytes.size()) < offset)
    throw FormatError(path, "truncated signal file: " + std::to_string(bytes.size()) +
                                " bytes, shorter than the byte offset " + std::to_string(offset));
  n_samples = resolve_n_samples(h, g, bytes.size() - std::size_t(offset), n_samples, hea_path);
  check_signal_file_size(bytes.size(), offset, first.format, g.count, n_samples, path, hea_path);
  if (ends_with_ci(g.file, ".mat") && offset > 0)
    check_mat_v4_header(bytes.data(), bytes.size(), path, g.count, n_samples, offset);

  if (rec.data.empty()) {
    rec.n_samples = n_samples;
    rec.data.assign(std::size_t(h.n_signals) * std::size_t(n_samples), 0.0f);
  }
  const std::int64_t n_values = n_samples * g.count;
  std::vector<std::int32_t> adc(static_cast<std::size_t>(n_values));
  if (first.format == 16)
    decode_format16(bytes.data() + offset, n_values, adc.data());
  else
    decode_format212(bytes.data() + offset, n_values, adc.data());
  for (int k = 0; k < g.count; ++k) store_lead(rec, h.signals[g.first + k], g.first + k, adc, g.count, k, path);
}

}  // namespace

EcgRecord read_wfdb_record(const std::string& hea_path_in) {
  const std::string hea_path = ends_with_ci(hea_path_in, ".hea") ? hea_path_in : hea_path_in + ".hea";
  const WfdbHeader h = read_wfdb_header(hea_path);
  check_supported_signals(h, hea_path);
  const std::vector<FileGroup> groups = group_signals_by_file(h, hea_path);

  EcgRecord rec;
  rec.id = fs::path(hea_path).stem().string();
  rec.fs = h.fs;
  rec.n_leads = h.n_signals;
  rec.comments = h.comments;
  std::int64_t n_samples = h.n_samples;  // -1: not in the header
  const fs::path dir = fs::path(hea_path).parent_path();
  for (const auto& g : groups) read_file_group(h, g, dir, hea_path, n_samples, rec);
  return rec;
}

}  // namespace cgdmer
