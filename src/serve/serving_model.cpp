// Implements serving_model.h.
#include "serve/serving_model.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "core/error.h"
#include "data/preprocess_contract.h"
#include "data/shard_store_format.h"
#include "io/ecg_readers.h"
#include "model/model_loading.h"

namespace cgdmer {
namespace fs = std::filesystem;

namespace {
const char* kModelHint =
    "--model takes a checkpoint written by `cgdmer pretrain` (RUN/checkpoints/*.ckpt) or the run folder itself";
}

CgDmer load_serving_model(const std::string& path, Config* cfg_out, std::string* contract_out,
                          std::optional<ClassifierHead>* head_out) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw IoError(path, "no such checkpoint file or run folder", kModelHint);
  try {
    CheckpointMeta meta;
    CgDmer model = load_model_for_inference(path, cfg_out, &meta);
    if (contract_out) {
      TrainingData d;
      *contract_out = training_data_of(meta, &d, path) ? d.preprocessing_settings : "";
    }
    if (head_out) {
      head_out->reset();
      if (!meta.classifier.is_null()) *head_out = classifier_head_from_json(meta.classifier, resolve_checkpoint(path));
    }
    return model;
  } catch (const FormatError& e) {
    throw FormatError(e.path(), e.problem(), kModelHint);
  } catch (const IoError& e) {
    throw IoError(e.path(), std::string(e.what()).substr(e.path().size() + 2), kModelHint);
  } catch (const ConfigError& e) {
    throw ConfigError(e.what(), e.hint().empty() ? "the checkpoint's config and weights disagree; "
                                                   "re-export it with the cgdmer version that trained it"
                                                 : e.hint());
  }
}

double serve_rate_hz(const Config& cfg) { return cfg.ecg.n_samples / kServeRecordSeconds; }

PreprocessOptions serve_preprocess_options(const Config& cfg, const std::string& contract) {
  if (!contract.empty()) {
    PreprocessOptions o = parse_preprocess_settings(contract, "the model's preprocessing contract");
    if (o.target_samples != cfg.ecg.n_samples || int(o.lead_order.size()) != cfg.ecg.n_leads)
      throw ConfigError("the model's preprocessing contract (" + contract + ") gives " +
                        std::to_string(o.lead_order.size()) + " x " + std::to_string(o.target_samples) +
                        " input, its config " + std::to_string(cfg.ecg.n_leads) + " x " +
                        std::to_string(cfg.ecg.n_samples));
    return o;
  }
  PreprocessOptions o;
  o.target_fs = serve_rate_hz(cfg);
  o.target_samples = cfg.ecg.n_samples;
  return o;
}

namespace {

EcgRecord read_record_for_serving(const std::string& path, const Config& cfg,
                                  const RecordReadOptions& read) {
  const char* hint =
      "a record is a WFDB .hea (with its .dat/.mat), a Challenge .hea/.mat pair, a CPSC 2018 .mat, "
      "a GE MUSE / HL7 aECG / Philips XML, an EDF, a DICOM ECG or an SCP-ECG file, or a CSV with "
      "--csv-fs";
  std::error_code ec;
  if (fs::is_directory(path, ec))
    throw FormatError(path, "is a folder, not a record file", hint);
  EcgRecord rec;
  try {
    rec = read_any_record(path, read);
  } catch (const FormatError& e) {
    throw FormatError(e.path(), e.problem(), e.hint().empty() ? hint : e.hint());
  } catch (const IoError& e) {
    throw IoError(e.path(), std::string(e.what()).substr(e.path().size() + 2),
                  e.hint().empty() ? hint : e.hint());
  }
  if (cfg.ecg.n_leads != 12)
    throw ConfigError("model expects " + std::to_string(cfg.ecg.n_leads) +
                      " leads; serving supports 12-lead models only");
  return rec;
}

// Samples [first, first + n) of every lead of `rec` (n clipped to the record's end).
EcgRecord slice_record(const EcgRecord& rec, std::int64_t first, std::int64_t n) {
  EcgRecord out = rec;
  n = std::max<std::int64_t>(0, std::min(n, rec.n_samples - first));
  out.n_samples = n;
  out.data.assign(std::size_t(rec.n_leads) * std::size_t(n), 0.0f);
  for (int l = 0; l < rec.n_leads; ++l)
    std::copy(rec.lead(l) + first, rec.lead(l) + first + n, out.lead(l));
  return out;
}

PreparedRecord prepare_loaded(const EcgRecord& rec, const std::string& path, const Config& cfg,
                              const std::string& contract) {
  PreparedRecord out;
  out.id = rec.id;
  out.path = path;
  try {
    out.data = preprocess_record_subset(rec, serve_preprocess_options(cfg, contract), &out.leads);
  } catch (const FormatError& e) {
    throw FormatError(e.path(), e.problem(), "the record needs at least one standard lead with finite samples");
  }
  if (int(out.leads.size()) == cfg.ecg.n_leads) out.leads.clear();  // all of them
  // Stores hold int16 (q = round(v·32767)); the same rounding here makes a record file's
  // input identical to its store row, i.e. to what the model was trained and evaluated on.
  for (float& v : out.data) v = store_format::dequantize(store_format::quantize(v));
  return out;
}

}  // namespace

PreparedRecord prepare_record_for_model(const std::string& path, const Config& cfg,
                                        const std::string& contract, const RecordReadOptions& read) {
  return prepare_loaded(read_record_for_serving(path, cfg, read), path, cfg, contract);
}

std::vector<PreparedRecord> prepare_record_windows(const std::string& path, const Config& cfg,
                                                   const std::string& contract,
                                                   const WindowOptions& w,
                                                   const RecordReadOptions& read) {
  EcgRecord rec = read_record_for_serving(path, cfg, read);
  const PreprocessOptions po = serve_preprocess_options(cfg, contract);
  const std::int64_t window_n = po.keep_samples > 0 ? po.keep_samples : po.target_samples;
  const double window_s = double(window_n) / po.target_fs;
  const double record_s = double(rec.n_samples) / rec.fs;
  const auto starts = w.first_only ? std::vector<double>{0.0} : window_starts(record_s, window_s, w.stride_seconds);
  // One window: exactly prepare's chain (it resamples the whole record, then crops).
  if (starts.size() == 1) {
    PreparedRecord p = prepare_loaded(rec, path, cfg, contract);
    return {std::move(p)};
  }
  // Several: fill and resample the whole record once, as prepare does, then cut the windows at
  // the model's rate, so the first window equals prepare's crop; each is min–max'ed alone.
  try {
    fill_non_finite(rec, po.nan_fill_window);
  } catch (const FormatError& e) {
    throw FormatError(e.path(), e.problem(), "the record needs finite samples in every lead it holds");
  }
  rec = resample_record(rec, po.target_fs);
  std::vector<PreparedRecord> out;
  for (double t : starts) {
    const auto first = std::min<std::int64_t>(std::int64_t(std::llround(t * po.target_fs)),
                                              std::max<std::int64_t>(0, rec.n_samples - window_n));
    PreparedRecord p = prepare_loaded(slice_record(rec, first, window_n), path, cfg, contract);
    p.start_seconds = t;
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<std::string> PreparedRecord::lead_names() const {
  const auto& order = mimic_lead_order();
  if (leads.empty()) return order;
  std::vector<std::string> out;
  for (int l : leads) out.push_back(order[std::size_t(l)]);
  return out;
}

bool is_store_dir(const std::string& dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec) && fs::exists(fs::path(dir) / "store.json", ec);
}

ShardStore open_store_for_model(const std::string& dir, const Config& cfg, const std::string& contract) {
  std::error_code ec;
  if (!fs::exists(dir, ec))
    throw IoError(dir, "no such store folder", "create one with `cgdmer prepare --out DIR`");
  if (!is_store_dir(dir))
    throw FormatError(dir, "not a shard store (no store.json)",
                      "pass a folder written by `cgdmer prepare`");
  ShardStore store = ShardStore::open(dir);
  const auto& info = store.info();
  const double rate = serve_preprocess_options(cfg, contract).target_fs;
  if (info.n_leads != cfg.ecg.n_leads || info.n_samples != cfg.ecg.n_samples ||
      std::abs(info.fs - rate) > 1e-6)
    throw ConfigError(dir + ": store records are " + std::to_string(info.n_leads) + " leads x " +
                          std::to_string(info.n_samples) + " samples at " + std::to_string(int(info.fs)) +
                          " Hz, but the model (config '" + cfg.name + "') expects " +
                          std::to_string(cfg.ecg.n_leads) + " x " + std::to_string(cfg.ecg.n_samples) +
                          " at " + std::to_string(int(rate)) + " Hz",
                      "prepare the store with `cgdmer prepare --rate " + std::to_string(int(rate)) +
                          "` for this model, or use a model trained on this store's rate");
  if (!contract.empty() && !info.preprocessing_settings.empty()) {
    const auto diff = compare_preprocess_settings(contract, info.preprocessing_settings);
    const std::string breaking = describe_differences(diff, true);
    if (!breaking.empty())
      throw ConfigError(dir + ": the store was prepared differently from the model's training data (" +
                            breaking + ")",
                        "prepare the store with the model's settings (its checkpoint records them: "
                        "cgdmer export writes them to config.json `preprocessing`)");
    if (!diff.empty())
      spdlog::warn("{}: store recipe differs from the model's training data ({}); evaluation "
                   "protocols do this on purpose (e.g. MERL's first 2.5 s of CPSC 2018)",
                   dir, describe_differences(diff, false));
  }
  return store;
}

std::vector<std::string> find_record_files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const fs::path p = it->path();
    std::string ext = p.extension().string();
    for (auto& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (ext == ".edf" || ext == ".dcm" || ext == ".scp" || ext == ".xml") {  // clinical formats
      out.push_back(p.string());
    } else if (ext == ".hea") {
      out.push_back(p.string());
    } else if (ext == ".mat") {
      fs::path hea = p;
      hea.replace_extension(".hea");
      if (!fs::exists(hea, ec)) out.push_back(p.string());
    }
  }
  if (ec) throw IoError(dir, "cannot list folder: " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace cgdmer
