// Implements preprocess_contract.h.
#include "data/preprocess_contract.h"

#include <map>
#include <sstream>

#include "core/error.h"

namespace cgdmer {
namespace {

// "pp1:k=v;k=v" → ordered fields. FormatError on anything else.
std::vector<std::pair<std::string, std::string>> fields_of(const std::string& text,
                                                           const std::string& source) {
  if (text.rfind("pp1:", 0) != 0)
    throw FormatError(source, "preprocessing settings '" + text.substr(0, 40) +
                                  "' are not of the form pp1:key=value;... (written by another cgdmer?)");
  std::vector<std::pair<std::string, std::string>> out;
  std::stringstream ss(text.substr(4));
  std::string item;
  while (std::getline(ss, item, ';')) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) throw FormatError(source, "preprocessing setting '" + item + "' has no '='");
    out.push_back({item.substr(0, eq), item.substr(eq + 1)});
  }
  return out;
}

const char* const kKnown[] = {"leads", "fs", "n", "keep", "fill", "norm", "resampler"};

}  // namespace

PreprocessOptions parse_preprocess_settings(const std::string& text, const std::string& source) {
  std::map<std::string, std::string> f;
  for (auto& [k, v] : fields_of(text, source)) f[k] = v;
  for (const char* k : kKnown)
    if (!f.count(k)) throw FormatError(source, std::string("preprocessing settings lack '") + k + "'");
  PreprocessOptions o;
  try {
    o.lead_order.clear();
    std::stringstream ls(f["leads"]);
    std::string lead;
    // settings_text writes lower-case names; lead matching is case-insensitive everywhere.
    while (std::getline(ls, lead, ',')) o.lead_order.push_back(lead);
    o.target_fs = std::stod(f["fs"]);
    o.target_samples = std::stoll(f["n"]);
    o.keep_samples = std::stoll(f["keep"]);
    o.nan_fill_window = std::stoi(f["fill"]);
  } catch (const std::exception&) {
    throw FormatError(source, "preprocessing settings '" + text + "' hold a value that is not a number");
  }
  if (f["norm"] != "minmax" && f["norm"] != "none" && f["norm"] != "mv")
    throw FormatError(source, "unknown normalisation '" + f["norm"] + "' in the preprocessing settings");
  o.normalisation = parse_normalisation(f["norm"]);
  if (f["resampler"] != "poly-kaiser5-10")
    throw FormatError(source, "unknown resampler '" + f["resampler"] + "' in the preprocessing settings");
  if (o.settings_text() != text)
    throw FormatError(source, "preprocessing settings '" + text + "' do not read back to themselves");
  return o;
}

std::vector<SettingDifference> compare_preprocess_settings(const std::string& model_settings,
                                                           const std::string& other_settings) {
  std::map<std::string, std::string> a, b;
  for (auto& [k, v] : fields_of(model_settings, "model contract")) a[k] = v;
  for (auto& [k, v] : fields_of(other_settings, "store settings")) b[k] = v;
  std::vector<SettingDifference> out;
  for (const char* k : kKnown)
    if (a[k] != b[k]) {
      const std::string f = k;
      out.push_back({f, a[k], b[k], f != "keep" && f != "fill"});
    }
  return out;
}

std::string describe_differences(const std::vector<SettingDifference>& d, bool breaking_only) {
  std::string s;
  for (const auto& x : d) {
    if (breaking_only && !x.breaking) continue;
    s += (s.empty() ? "" : "; ") + x.field + ": the model's contract says " + x.model_value +
         ", this has " + x.other_value;
  }
  return s;
}

nlohmann::ordered_json preprocess_contract_json(const std::string& settings) {
  const PreprocessOptions o = parse_preprocess_settings(settings, "preprocessing contract");
  nlohmann::ordered_json j;
  j["sample_rate_hz"] = o.target_fs;
  j["window_samples"] = o.target_samples;
  j["window_seconds"] = double(o.target_samples) / o.target_fs;
  j["keep_samples"] = o.keep_samples;  // -1: the whole window
  j["lead_order"] = o.lead_order;
  j["nan_fill_window"] = o.nan_fill_window;
  j["normalisation"] = o.normalisation == Normalisation::minmax ? "global min-max over all leads to [0, 1]"
                       : o.normalisation == Normalisation::mv
                           ? "per lead: minus its median, then 0.5 + mV / 10, clamped to [0, 1] (±5 mV)"
                           : "none";
  j["filters"] = "none (cgdmer applies no band-pass or notch filter)";
  j["resampler"] = "polyphase windowed sinc, as scipy.signal.resample_poly (Kaiser beta 5)";
  j["settings"] = settings;
  j["preprocessing_hash"] = o.settings_digest();
  return j;
}

}  // namespace cgdmer
