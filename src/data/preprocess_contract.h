// A model's preprocessing contract: the settings of the store it was trained on
// (PreprocessOptions::settings_text, "pp1:leads=i,ii,...;fs=100;n=1000;keep=-1;fill=6;
// norm=minmax;resampler=poly-kaiser5-10"), recorded in its checkpoints. Parsed back, it is the
// chain serving applies to a new file; compared field by field with a store's settings, a
// mismatch names the field. Torch-free.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/preprocess.h"

namespace cgdmer {

// settings_text() → options. FormatError naming `source` for text this build does not know.
PreprocessOptions parse_preprocess_settings(const std::string& text, const std::string& source);

// One field that differs. `breaking`: the model would see other input than it was trained on
// (leads, fs, n, norm, resampler). keep and fill are dataset recipes that evaluation protocols
// choose on purpose (MERL keeps the first 2.5 s of CPSC 2018 records), so they only warn.
struct SettingDifference {
  std::string field, model_value, other_value;
  bool breaking = false;
};
std::vector<SettingDifference> compare_preprocess_settings(const std::string& model_settings,
                                                           const std::string& other_settings);

// "fs: the model's contract says 100, the store has 500; n: ..." (breaking ones only when
// `breaking_only`).
std::string describe_differences(const std::vector<SettingDifference>& d, bool breaking_only);

// The contract for people: sample rate, window, lead order, normalisation, filters, hash.
nlohmann::ordered_json preprocess_contract_json(const std::string& settings);

}  // namespace cgdmer
