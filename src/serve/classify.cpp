// Implements classify.h.
#include "serve/classify.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/paths.h"
#include "core/progress.h"
#include "eval/zero_shot.h"
#include "model/compat.h"
#include "model/text_tokenizer.h"
#include "serve/serving_model.h"
#include "text/tokenizer.h"

namespace cgdmer {

namespace fs = std::filesystem;

const std::vector<std::string>& default_classify_classes() {
  // PTB-XL diagnostic super classes, then common rhythm statements (all CKEPE keys).
  static const std::vector<std::string> k = {"NORM", "MI",   "STTC",  "CD",   "HYP",  "SR",
                                             "AFIB", "AFLT", "STACH", "SBRAD", "PACE"};
  return k;
}

namespace {

struct ClassPrompts {
  std::vector<std::string> keys, texts;
  std::string source;
};

ClassPrompts resolve_prompts(const ClassifyOptions& o) {
  if (!o.labels.empty() && !o.prompts_file.empty())
    throw ConfigError("give --prompts or --labels, not both");
  ClassPrompts p;
  if (!o.labels.empty()) {
    p.keys = p.texts = o.labels;
    p.source = "--labels";
    return p;
  }
  const std::string file =
      o.prompts_file.empty() ? resource_path("assets/prompts/CKEPE_prompt.json") : o.prompts_file;
  std::map<std::string, std::string> prompts;
  try {
    prompts = load_prompts(file);
  } catch (const FormatError& e) {
    throw FormatError(e.path(), e.problem(), "--prompts takes a JSON object of class → description");
  }
  if (prompts.empty()) throw FormatError(file, "prompt file holds no classes");
  if (o.prompts_file.empty()) {
    p.keys = default_classify_classes();
    p.texts = prompts_for(prompts, p.keys, file);
  } else {
    for (const auto& [k, v] : prompts) p.keys.push_back(k), p.texts.push_back(v);
  }
  p.source = file;
  return p;
}

WindowOptions window_options(const ClassifyOptions& o) {
  if (o.aggregate != "mean" && o.aggregate != "max" && o.aggregate != "first")
    throw ConfigError("--aggregate must be mean, max or first, not '" + o.aggregate + "'");
  WindowOptions wo;
  wo.stride_seconds = o.window_stride_seconds;
  wo.first_only = o.aggregate == "first";
  return wo;
}

// One record's windows scored against the class embeddings `cls` (C, E).
struct ScoredRecord {
  PreparedRecord first;          // the first window (id, path, leads)
  std::vector<double> starts;    // window starts, seconds
  torch::Tensor per_window;      // (K, C) cosines
  torch::Tensor scores;          // (C) aggregated
};

ScoredRecord score_record(CgDmer& model, const Config& cfg, const std::string& contract,
                          const std::string& path, const torch::Tensor& cls,
                          const ClassifyOptions& o, bool bf16) {
  const std::vector<PreparedRecord> windows =
      prepare_record_windows(path, cfg, contract, window_options(o), o.read);
  ScoredRecord r;
  r.first = windows.front();
  const std::int64_t K = std::int64_t(windows.size()), L = cfg.ecg.n_leads, S = cfg.ecg.n_samples;
  auto x = torch::empty({K, L, S}, torch::kFloat32);  // (K windows, L, S)
  for (std::int64_t k = 0; k < K; ++k) {
    const auto& w = windows[std::size_t(k)];
    std::copy(w.data.begin(), w.data.end(), x.data_ptr<float>() + k * L * S);
    r.starts.push_back(w.start_seconds);
  }
  torch::NoGradGuard ng;
  torch::Tensor ecg;
  {
    AutocastGuard ac(bf16, torch::kCPU);
    ecg = model->ecg_shared(x, r.first.leads).to(torch::kFloat32);  // (K, E), present leads only
  }
  r.per_window = zero_shot_scores(ecg, cls).contiguous();  // (K, C)
  r.scores = o.aggregate == "max" ? std::get<0>(r.per_window.max(0)) : r.per_window.mean(0);
  return r;
}

torch::Tensor encode_prompts(CgDmer& model, const Config& cfg, const ClassPrompts& p, bool bf16) {
  torch::NoGradGuard ng;
  AutocastGuard ac(bf16, torch::kCPU);
  const WordPieceTokenizer tok = text_tokenizer_for(cfg.text);
  return encode_class_prompts(model, tok, p.texts, cfg.text.max_len).to(torch::kFloat32);  // (C, E)
}

}  // namespace

ClassifyResult run_classify(const ClassifyOptions& o) {
  using clock = std::chrono::steady_clock;
  if (o.top_k < 0) throw ConfigError("--top must be >= 0");
  const ClassPrompts prompts = resolve_prompts(o);
  window_options(o);  // a bad --aggregate fails before the model loads
  ClassifyResult r;
  r.prompt_source = prompts.source;
  const auto t0 = clock::now();
  Config cfg;
  std::string contract;
  CgDmer model = load_serving_model(o.model, &cfg, &contract);
  const auto t1 = clock::now();
  const bool bf16 = uses_bf16(o.precision, torch::kCPU);
  const torch::Tensor cls = encode_prompts(model, cfg, prompts, bf16);
  const ScoredRecord sr = score_record(model, cfg, contract, o.record, cls, o, bf16);
  const auto t2 = clock::now();
  r.record_id = sr.first.id;
  r.record_path = sr.first.path;
  r.leads = sr.first.lead_names();
  r.aggregate = o.aggregate;
  r.window_starts = sr.starts;
  for (std::size_t c = 0; c < prompts.keys.size(); ++c) {
    ClassScore cs{prompts.keys[c], prompts.texts[c], double(sr.scores[std::int64_t(c)].item<float>()), {}};
    for (std::int64_t k = 0; k < sr.per_window.size(0); ++k)
      cs.per_window.push_back(sr.per_window[k][std::int64_t(c)].item<double>());
    r.ranked.push_back(std::move(cs));
  }
  std::stable_sort(r.ranked.begin(), r.ranked.end(),
                   [](const ClassScore& a, const ClassScore& b) { return a.score > b.score; });
  if (o.top_k > 0 && size_t(o.top_k) < r.ranked.size()) r.ranked.resize(size_t(o.top_k));
  r.load_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  r.infer_ms = std::chrono::duration<double, std::milli>(t2 - t1).count();
  return r;
}

ClassifyTable run_classify_batch(const ClassifyOptions& o, const std::vector<std::string>& inputs,
                                 bool progress) {
  const ClassPrompts prompts = resolve_prompts(o);
  window_options(o);
  std::vector<std::string> files;
  for (const auto& in : inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      const auto found = find_record_files(in);
      if (found.empty()) throw FormatError(in, "folder holds no ECG record files");
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(in);  // a bad file is reported in `failed`, not thrown
    }
  }
  if (files.empty()) throw ConfigError("classify: no records given");
  Config cfg;
  std::string contract;
  CgDmer model = load_serving_model(o.model, &cfg, &contract);
  const bool bf16 = uses_bf16(o.precision, torch::kCPU);
  const torch::Tensor cls = encode_prompts(model, cfg, prompts, bf16);
  ClassifyTable t;
  t.classes = prompts.keys;
  t.prompt_source = prompts.source;
  t.aggregate = o.aggregate;
  Progress prog("classify", std::int64_t(files.size()), "records");
  for (const auto& f : files) {
    try {
      const ScoredRecord sr = score_record(model, cfg, contract, f, cls, o, bf16);
      ClassifyTable::Row row;
      row.path = f;
      row.id = sr.first.id;
      row.leads = sr.first.lead_names();
      row.windows = int(sr.starts.size());
      for (std::int64_t c = 0; c < sr.scores.size(0); ++c) row.scores.push_back(sr.scores[c].item<double>());
      row.top = t.classes[std::size_t(std::max_element(row.scores.begin(), row.scores.end()) - row.scores.begin())];
      t.rows.push_back(std::move(row));
    } catch (const Error& e) {  // unreadable or unusable record: listed, the rest go on
      t.failed.push_back({f, e.what()});
    }
    if (progress) prog.advance(1);
  }
  if (progress) prog.finish();
  return t;
}

void write_classify_table(const ClassifyTable& t, const std::string& out_json) {
  if (out_json.size() < 6 || out_json.compare(out_json.size() - 5, 5, ".json") != 0)
    throw ConfigError("--out must name a .json file (the CSV is written beside it), not '" + out_json + "'");
  nlohmann::ordered_json j;
  j["prompts"] = t.prompt_source;
  j["classes"] = t.classes;
  j["aggregate"] = t.aggregate;
  j["score"] = "cosine of f_sh^ecg and each class prompt's f_sh^text, aggregated over windows";
  auto rows = nlohmann::ordered_json::array();
  for (const auto& r : t.rows) {
    nlohmann::ordered_json s;
    for (std::size_t c = 0; c < t.classes.size(); ++c) s[t.classes[c]] = r.scores[c];
    rows.push_back({{"path", r.path}, {"id", r.id}, {"leads", r.leads}, {"windows", r.windows},
                    {"top", r.top}, {"scores", s}});
  }
  j["records"] = rows;
  auto failed = nlohmann::ordered_json::array();
  for (const auto& [path, why] : t.failed) failed.push_back({{"path", path}, {"reason", why}});
  j["failed"] = failed;
  const fs::path parent = fs::path(out_json).parent_path();
  if (!parent.empty()) fs::create_directories(parent);
  write_file_atomic(out_json, j.dump(2) + "\n");
  // CSV: one row per record; fields with commas or quotes are quoted (RFC 4180).
  auto field = [](const std::string& v) {
    if (v.find_first_of(",\"\n") == std::string::npos) return v;
    std::string q = "\"";
    for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  std::string csv = "path,id,leads,windows,top";
  for (const auto& c : t.classes) csv += "," + field(c);
  csv += "\n";
  char buf[32];
  for (const auto& r : t.rows) {
    std::string leads;
    for (const auto& l : r.leads) leads += (leads.empty() ? "" : " ") + l;
    csv += field(r.path) + "," + field(r.id) + "," + field(leads) + "," + std::to_string(r.windows) + "," + field(r.top);
    for (double v : r.scores) {
      std::snprintf(buf, sizeof buf, ",%.6f", v);
      csv += buf;
    }
    csv += "\n";
  }
  write_file_atomic(out_json.substr(0, out_json.size() - 5) + ".csv", csv);
}

std::string classify_json(const ClassifyResult& r) {
  nlohmann::ordered_json j;
  j["record"] = r.record_id;
  j["path"] = r.record_path;
  j["prompts"] = r.prompt_source;
  j["leads"] = r.leads;
  j["windows"] = {{"starts_s", r.window_starts}, {"aggregate", r.aggregate}};
  auto arr = nlohmann::ordered_json::array();
  for (const auto& s : r.ranked) {
    nlohmann::ordered_json e{{"label", s.label}, {"score", s.score}, {"prompt", s.prompt}};
    if (s.per_window.size() > 1) e["per_window"] = s.per_window;
    arr.push_back(e);
  }
  j["ranking"] = arr;
  j["timing_ms"] = {{"model_load", r.load_ms}, {"inference", r.infer_ms}};
  return j.dump(2);
}

}  // namespace cgdmer
