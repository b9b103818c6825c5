// ECG preprocessing chain (see preprocess.h). Each step is a separate function so adapters and
// tests can use them alone; preprocess_record() fixes the order.
#include "data/preprocess.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/error.h"
#include "core/fnv1a.h"
#include "data/resample.h"

namespace cgdmer {

namespace {

std::string lower(const std::string& s) {
  std::string out(s);
  for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string fmt_double(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

const std::vector<std::string>& mimic_lead_order() {
  static const std::vector<std::string> order = {"I",  "II", "III", "aVR", "aVF", "aVL",
                                                 "V1", "V2", "V3",  "V4",  "V5",  "V6"};
  return order;
}

const char* normalisation_name(Normalisation n) {
  switch (n) {
    case Normalisation::minmax: return "minmax";
    case Normalisation::none: return "none";
    case Normalisation::mv: return "mv";
  }
  return "?";
}

Normalisation parse_normalisation(const std::string& name) {
  if (name == "minmax") return Normalisation::minmax;
  if (name == "none") return Normalisation::none;
  if (name == "mv") return Normalisation::mv;
  throw ConfigError("unknown normalisation '" + name + "'", "minmax (MERL, the default) or mv (keeps the voltage)");
}

float absent_lead_value(Normalisation n) { return n == Normalisation::mv ? 0.5f : 0.0f; }

std::string PreprocessOptions::settings_text() const {
  std::string s = "pp1:leads=";
  for (std::size_t i = 0; i < lead_order.size(); ++i) s += (i ? "," : "") + lower(lead_order[i]);
  s += ";fs=" + fmt_double(target_fs) + ";n=" + std::to_string(target_samples) +
       ";keep=" + std::to_string(keep_samples) + ";fill=" + std::to_string(nan_fill_window) +
       ";norm=" + normalisation_name(normalisation) + ";resampler=poly-kaiser5-10";
  return s;
}

std::string PreprocessOptions::settings_digest() const { return fnv1a64_hex(settings_text()); }

EcgRecord reorder_leads(const EcgRecord& rec, const std::vector<std::string>& order) {
  EcgRecord out = rec;
  out.lead_names.clear();
  out.units.clear();
  out.n_leads = int(order.size());
  out.data.assign(order.size() * std::size_t(rec.n_samples), 0.0f);
  for (std::size_t i = 0; i < order.size(); ++i) {
    const std::string want = lower(order[i]);
    int found = -1;
    for (int l = 0; l < rec.n_leads; ++l)
      if (lower(rec.lead_names[std::size_t(l)]) == want) {
        found = l;
        break;
      }
    if (found < 0) {
      std::string have;
      for (const auto& n : rec.lead_names) have += (have.empty() ? "" : ", ") + n;
      throw FormatError(rec.path, "lead " + order[i] + " missing (record has: " + have + ")");
    }
    std::copy(rec.lead(found), rec.lead(found) + rec.n_samples, out.lead(int(i)));
    out.lead_names.push_back(order[i]);
    out.units.push_back(std::size_t(found) < rec.units.size() ? rec.units[std::size_t(found)] : "");
  }
  return out;
}

void fill_non_finite(EcgRecord& rec, int window) {
  const std::int64_t n = rec.n_samples;
  std::vector<float> orig(static_cast<std::size_t>(n));
  for (int l = 0; l < rec.n_leads; ++l) {
    float* x = rec.lead(l);
    double lead_sum = 0;
    std::int64_t lead_count = 0, bad = 0;
    for (std::int64_t t = 0; t < n; ++t) {
      if (std::isfinite(x[t])) {
        lead_sum += x[t];
        ++lead_count;
      } else {
        ++bad;
      }
    }
    if (bad == 0) continue;
    const std::string name =
        std::size_t(l) < rec.lead_names.size() ? rec.lead_names[std::size_t(l)] : std::to_string(l);
    if (lead_count == 0) throw FormatError(rec.path, "lead " + name + " has no finite samples");
    std::copy(x, x + n, orig.begin());
    for (std::int64_t t = 0; t < n; ++t) {
      if (std::isfinite(orig[std::size_t(t)])) continue;
      double s = 0;
      std::int64_t c = 0;
      for (std::int64_t u = std::max<std::int64_t>(0, t - window);
           u <= std::min<std::int64_t>(n - 1, t + window); ++u)
        if (std::isfinite(orig[std::size_t(u)])) {
          s += orig[std::size_t(u)];
          ++c;
        }
      x[t] = float(c ? s / double(c) : lead_sum / double(lead_count));
    }
  }
}

EcgRecord resample_record(const EcgRecord& rec, double target_fs) {
  const ResampleRatio r = resample_ratio(rec.fs, target_fs);
  if (r.up == r.down) return rec;
  const std::vector<double> h = resample_filter(r);
  EcgRecord out = rec;
  out.fs = target_fs;
  out.n_samples = (rec.n_samples * r.up + r.down - 1) / r.down;
  out.data.assign(std::size_t(out.n_leads) * std::size_t(out.n_samples), 0.0f);
  for (int l = 0; l < rec.n_leads; ++l) {
    const std::vector<float> y = resample_poly(rec.lead(l), rec.n_samples, r, h);
    std::copy(y.begin(), y.end(), out.lead(l));
  }
  return out;
}

std::vector<float> crop_or_pad(const EcgRecord& rec, std::int64_t target_samples,
                               std::int64_t keep_samples) {
  std::int64_t keep = std::min(rec.n_samples, target_samples);
  if (keep_samples >= 0) keep = std::min(keep, keep_samples);
  std::vector<float> out(std::size_t(rec.n_leads) * std::size_t(target_samples), 0.0f);
  for (int l = 0; l < rec.n_leads; ++l)
    std::copy(rec.lead(l), rec.lead(l) + keep, out.begin() + std::int64_t(l) * target_samples);
  return out;
}

void minmax_normalise(std::vector<float>& x) {
  if (x.empty()) return;
  const auto [lo_it, hi_it] = std::minmax_element(x.begin(), x.end());
  const double lo = *lo_it, hi = *hi_it;
  const double denom = hi - lo + 1e-8;  // MERL: (x - min) / (max - min + 1e-8)
  for (auto& v : x) v = float((double(v) - lo) / denom);
}

void mv_normalise(std::vector<float>& x, int n_leads, std::int64_t n_samples, std::int64_t valid_samples) {
  if (x.size() != std::size_t(n_leads) * std::size_t(n_samples))
    throw ConfigError("mv_normalise: buffer is not n_leads × n_samples");
  const std::int64_t valid = std::clamp<std::int64_t>(valid_samples, 0, n_samples);
  std::vector<float> sorted;
  for (int l = 0; l < n_leads; ++l) {
    float* row = x.data() + std::int64_t(l) * n_samples;
    double median = 0;
    if (valid > 0) {
      sorted.assign(row, row + valid);
      const auto mid = sorted.begin() + valid / 2;
      std::nth_element(sorted.begin(), mid, sorted.end());
      median = *mid;
      if (valid % 2 == 0) median = 0.5 * (median + *std::max_element(sorted.begin(), mid));
    }
    for (std::int64_t t = 0; t < n_samples; ++t) {
      const double v = t < valid ? 0.5 + (double(row[t]) - median) / kMillivoltsPerUnit : 0.5;
      row[t] = float(std::clamp(v, 0.0, 1.0));
    }
  }
}

std::vector<float> preprocess_record(const EcgRecord& rec, const PreprocessOptions& o) {
  if (o.target_samples <= 0) throw ConfigError("preprocess: target_samples must be positive");
  if (o.keep_samples < -1) throw ConfigError("preprocess: keep_samples must be -1 or >= 0");
  if (o.nan_fill_window < 0) throw ConfigError("preprocess: nan_fill_window must be >= 0");
  if (o.lead_order.empty()) throw ConfigError("preprocess: lead_order is empty");
  EcgRecord r = reorder_leads(rec, o.lead_order);
  fill_non_finite(r, o.nan_fill_window);
  r = resample_record(r, o.target_fs);
  std::vector<float> out = crop_or_pad(r, o.target_samples, o.keep_samples);
  switch (o.normalisation) {
    case Normalisation::minmax: minmax_normalise(out); break;
    case Normalisation::none: break;
    case Normalisation::mv: {
      std::int64_t valid = std::min(r.n_samples, o.target_samples);
      if (o.keep_samples >= 0) valid = std::min(valid, o.keep_samples);
      mv_normalise(out, r.n_leads, o.target_samples, valid);
      break;
    }
  }
  return out;
}

std::vector<float> preprocess_record_subset(const EcgRecord& rec, const PreprocessOptions& o,
                                            std::vector<int>* present) {
  std::vector<std::string> held;
  present->clear();
  for (std::size_t i = 0; i < o.lead_order.size(); ++i) {
    const std::string want = lower(o.lead_order[i]);
    for (const auto& name : rec.lead_names)
      if (lower(name) == want) {
        held.push_back(o.lead_order[i]);
        present->push_back(int(i));
        break;
      }
  }
  if (held.empty()) {
    std::string have;
    for (const auto& n : rec.lead_names) have += (have.empty() ? "" : ", ") + n;
    throw FormatError(rec.path, "holds none of the model's leads (record has: " + have + ")");
  }
  PreprocessOptions sub = o;
  sub.lead_order = held;
  const std::vector<float> part = preprocess_record(rec, sub);  // (|held|, T)
  const std::size_t T = std::size_t(o.target_samples);
  std::vector<float> out(o.lead_order.size() * T, absent_lead_value(o.normalisation));
  for (std::size_t k = 0; k < held.size(); ++k)
    std::copy(part.begin() + std::ptrdiff_t(k * T), part.begin() + std::ptrdiff_t((k + 1) * T),
              out.begin() + std::ptrdiff_t(std::size_t((*present)[k]) * T));
  return out;
}

std::vector<double> window_starts(double record_seconds, double window_seconds, double stride_seconds) {
  if (!(window_seconds > 0)) throw ConfigError("window length must be positive");
  if (stride_seconds == 0) stride_seconds = window_seconds;
  if (!(stride_seconds > 0)) throw ConfigError("--window-stride must be positive (seconds)");
  std::vector<double> starts{0.0};
  const double eps = 1e-9;
  if (record_seconds <= window_seconds + eps) return starts;
  for (double t = stride_seconds; t + window_seconds <= record_seconds + eps; t += stride_seconds)
    starts.push_back(t);
  const double last = record_seconds - window_seconds;  // a window that ends at the record's end
  if (last - starts.back() > eps) starts.push_back(last);
  return starts;
}

void restrict_to_leads(float* x, int n_leads, std::int64_t n_samples, const std::vector<int>& present,
                       Normalisation norm) {
  std::vector<char> keep(std::size_t(n_leads), 0);
  for (int l : present) {
    if (l < 0 || l >= n_leads) throw ConfigError("lead index " + std::to_string(l) + " out of range");
    keep[std::size_t(l)] = 1;
  }
  if (norm != Normalisation::minmax) {  // each lead stands on its own: only the absent ones change
    for (int l = 0; l < n_leads; ++l)
      if (!keep[std::size_t(l)]) std::fill(x + l * n_samples, x + (l + 1) * n_samples, absent_lead_value(norm));
    return;
  }
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  for (int l = 0; l < n_leads; ++l)
    for (std::int64_t t = 0; keep[std::size_t(l)] && t < n_samples; ++t) {
      lo = std::min(lo, x[l * n_samples + t]);
      hi = std::max(hi, x[l * n_samples + t]);
    }
  for (int l = 0; l < n_leads; ++l)
    for (std::int64_t t = 0; t < n_samples; ++t) {
      float& v = x[l * n_samples + t];
      v = keep[std::size_t(l)] ? float((double(v) - lo) / (double(hi) - lo + 1e-8)) : 0.0f;  // as minmax_normalise
    }
}

}  // namespace cgdmer
