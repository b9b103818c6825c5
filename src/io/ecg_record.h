// One ECG recording in memory, as every reader returns it: float32 samples in physical
// units (millivolts for ECG leads), lead-major, with lead names and the header's metadata.
// Readers never normalise, reorder or resample: that is data/preprocess.h's job.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cgdmer {

struct EcgRecord {
  std::string id;    // record name, e.g. "00001_lr", "JS00001", "A1980"
  std::string path;  // file the samples came from (for error messages and skip reports)
  double fs = 0;     // sampling frequency, Hz
  int n_leads = 0;
  std::int64_t n_samples = 0;               // per lead
  std::vector<std::string> lead_names;      // as in the file: "I", "II", ..., "aVR", "V1"
  std::vector<std::string> units;           // per lead, e.g. "mV" (empty when unknown)
  std::vector<float> data;                  // (n_leads, n_samples) row-major, physical units
  std::vector<std::string> comments;        // header comment lines, without the leading '#'

  float* lead(int l) { return data.data() + std::int64_t(l) * n_samples; }
  const float* lead(int l) const { return data.data() + std::int64_t(l) * n_samples; }
  // Value of a "#Key: value" comment (Challenge headers: "Dx", "Age", "Sex"), or "".
  std::string comment_value(const std::string& key) const;
};

}  // namespace cgdmer
