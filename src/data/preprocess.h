// ECG preprocessing (SPEC §1/§2, MERL's recipe): the chain every dataset adapter applies
// before records are written to a shard store. Torch-free.
//   reorder_leads → fill_non_finite → resample → crop/pad (keep_samples) → normalise
// Output: float32 (n_leads, target_samples) row-major, values in [0, 1].
// Normalisation: MERL's global min–max (the default, SPEC §1) keeps the leads' relative
// amplitudes but drops the record's absolute voltage; "mv" keeps it (docs/experiments.md,
// "What the input keeps": PTB-XL form statements include voltage classes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/ecg_record.h"

namespace cgdmer {

// MIMIC-IV-ECG's lead order, which all downstream sets are reordered to (note aVF before aVL).
const std::vector<std::string>& mimic_lead_order();

enum class Normalisation {
  minmax,  // (x − min) / (max − min + 1e-8), min and max over the whole record (MERL)
  none,    // values as the record holds them (readers give mV); used by tests and tools only
  mv,      // per lead: x − median(x) in mV, then 0.5 + mV / kMillivoltsPerUnit, clamped to [0, 1]
};
// "mv": 1 unit = 10 mV, so [0, 1] holds ±5 mV around each lead's median (PTB-XL: 4e-5 of the
// 100 Hz samples lie outside) with the store's int16 step of 0.3 µV.
inline constexpr double kMillivoltsPerUnit = 10.0;
// "minmax" | "none" | "mv", as written in the settings text.
const char* normalisation_name(Normalisation n);
// The inverse; ConfigError naming the accepted values for anything else.
Normalisation parse_normalisation(const std::string& name);
// The input value of a lead that is not recorded: the bottom of the range after min–max (as
// MERL's zero padding), 0 mV after "mv".
float absent_lead_value(Normalisation n);

struct PreprocessOptions {
  std::vector<std::string> lead_order = mimic_lead_order();  // matched case-insensitively
  double target_fs = 500;              // Hz; records at another rate are resampled
  std::int64_t target_samples = 5000;  // per lead: crop from the start / zero-pad at the end
  // Keep only the first `keep_samples` samples (after resampling) and zero-pad the rest up to
  // target_samples; -1 keeps all. MERL's CPSC 2018 recipe is keep_samples = 2500 at 500 Hz.
  std::int64_t keep_samples = -1;
  int nan_fill_window = 6;  // NaN/inf → mean of the finite values within ±window samples
  Normalisation normalisation = Normalisation::minmax;

  // Stable text naming every option, "pp1:leads=...;fs=...;...;resampler=...": two stores
  // prepared with equal texts hold comparable records. Written to store.json.
  std::string settings_text() const;
  // FNV-1a-64 of settings_text(), 16 hex digits: the store's preprocessing_hash.
  std::string settings_digest() const;
};

// Leads of `rec` in `order` (names compared case-insensitively, "AVR" = "aVR"); extra leads
// are dropped. Throws FormatError naming rec.path and the missing lead.
EcgRecord reorder_leads(const EcgRecord& rec, const std::vector<std::string>& order);

// In place: each NaN/±inf sample becomes the mean of the finite samples of the same lead
// within ±window samples (original values only, so fills do not cascade); when that window
// holds no finite value, the mean of the lead's finite samples. A lead with no finite sample
// at all → FormatError "lead V3 has no finite samples".
void fill_non_finite(EcgRecord& rec, int window = 6);

// Resamples every lead to target_fs (see data/resample.h); no-op when the rate matches.
EcgRecord resample_record(const EcgRecord& rec, double target_fs);

// (n_leads, target_samples) copy: the first min(keep, n_samples, target) samples of each lead,
// zeros after. keep = -1 means no extra limit.
std::vector<float> crop_or_pad(const EcgRecord& rec, std::int64_t target_samples,
                               std::int64_t keep_samples = -1);

// In place: x ← (x − min) / (max − min + 1e-8), min and max over the whole record (all leads),
// as MERL's downstream loaders do. A constant record maps to 0.
void minmax_normalise(std::vector<float>& x);

// In place on (n_leads, n_samples) mV: each lead minus the median of its first
// `valid_samples` samples (the recorded part; the rest is padding), then 0.5 + mV / 10,
// clamped to [0, 1]; the padding becomes 0.5 (0 mV). Keeps amplitude and ST offsets.
void mv_normalise(std::vector<float>& x, int n_leads, std::int64_t n_samples,
                  std::int64_t valid_samples);

// The whole chain. Throws FormatError (missing lead, no finite samples) naming rec.path.
std::vector<float> preprocess_record(const EcgRecord& rec, const PreprocessOptions& options);

// The chain for a record that may hold only some of options.lead_order (a 1-, 2- or 6-lead
// recording): the leads it holds go through the chain as above, min–max over those leads
// only; the rows of the leads it lacks are absent_lead_value (0 after min–max). `present` receives the indices (in lead_order,
// ascending) of the leads it holds — the model encodes only those (CgDmer::ecg_features).
// A record holding none of them → FormatError naming the file and the leads it has.
std::vector<float> preprocess_record_subset(const EcgRecord& rec, const PreprocessOptions& options,
                                            std::vector<int>* present);

// Window start times (seconds) for a record of `record_seconds` seen through windows of
// `window_seconds`: one window when the record is no longer than that (zero-padded, as
// `prepare` stores it); otherwise every `stride_seconds` (0 = the window length: no overlap),
// plus one window that ends where the record ends, so that every sample is seen.
std::vector<double> window_starts(double record_seconds, double window_seconds, double stride_seconds);

// In place on (n_leads, n_samples) input already normalised by `norm` over all leads: keeps the
// rows of `present` (after min–max: re-normalised to [0, 1] over those rows only; otherwise as
// they are) and sets every other row to absent_lead_value(norm) — what
// preprocess_record_subset gives for a record holding only those leads (up to the int16
// rounding of a store). Used to evaluate a lead subset, or a window, of a store.
void restrict_to_leads(float* x, int n_leads, std::int64_t n_samples, const std::vector<int>& present,
                       Normalisation norm);

}  // namespace cgdmer
