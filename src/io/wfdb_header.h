// WFDB header (.hea) model and parser, per the WFDB header(5) specification:
//   record line:  name[/n_seg] n_sig [fs[/counter_freq[(base_counter)]] [n_samples [base_time [base_date]]]]
//   signal lines: file format[xspf][:skew][+byte_offset] [gain[(baseline)][/units] [adc_res [adc_zero
//                 [init_value [checksum [block_size [description...]]]]]]]
//   comment lines: "#..." anywhere after the record line (Challenge: "#Dx: ...", "#Age: ...").
// Defaults follow the spec: fs 250 Hz, gain 0 or absent → 200 adu/unit, baseline = ADC zero,
// units "mV", ADC resolution 12 bits (format 212) or 16 bits (format 16).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cgdmer {

struct WfdbSignalSpec {
  std::string file_name;        // signal file, relative to the header's directory
  int format = 0;               // 16, 212, ...
  int samples_per_frame = 1;    // "16x1": we accept only 1
  int skew = 0;                 // ":skew": we accept only 0
  std::int64_t byte_offset = 0; // "+24": bytes to skip at the start of the file (MAT v4 header)
  double gain = 200;            // adu per physical unit
  double baseline = 0;          // adu value of physical zero
  std::string units = "mV";
  int adc_resolution = 0;       // bits
  std::int64_t adc_zero = 0;
  std::optional<std::int64_t> init_value;
  std::optional<std::int64_t> checksum;  // as written (PTB-XL writes it unsigned, others signed)
  std::int64_t block_size = 0;
  std::string description;      // lead name, e.g. "I", "AVR", "v1"
};

struct WfdbHeader {
  std::string record_name;
  int n_segments = 1;           // >1 only for multi-segment records (not supported by the reader)
  int n_signals = 0;
  double fs = 250;              // Hz
  double counter_freq = 0;
  double base_counter = 0;
  std::int64_t n_samples = -1;  // per signal; -1 when the header omits it
  std::string base_time;        // the rest of the record line, kept verbatim (formats vary)
  std::vector<WfdbSignalSpec> signals;
  std::vector<std::string> comments;  // without '#', trimmed
};

// Parses header text; `path` is used in error messages. Throws FormatError.
WfdbHeader parse_wfdb_header(const std::string& text, const std::string& path);
// Reads and parses a .hea file. Throws IoError (unreadable) / FormatError (malformed).
WfdbHeader read_wfdb_header(const std::string& path);

}  // namespace cgdmer
