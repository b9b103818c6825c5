// Implements classify.h.
#include "serve/classify.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/paths.h"
#include "core/progress.h"
#include "eval/zero_shot.h"
#include "model/compat.h"
#include "model/model_loading.h"
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

nlohmann::ordered_json finite_or_null(const std::vector<double>& v) {
  auto a = nlohmann::ordered_json::array();
  for (double x : v) a.push_back(std::isfinite(x) ? nlohmann::ordered_json(x) : nlohmann::ordered_json());
  return a;
}

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

torch::Tensor encode_prompts(CgDmer& model, const Config& cfg, const ClassPrompts& p, bool bf16) {
  torch::NoGradGuard ng;
  AutocastGuard ac(bf16, model_device(model));
  const WordPieceTokenizer tok = text_tokenizer_for(cfg.text);
  return encode_class_prompts(model, tok, p.texts, cfg.text.max_len).to(torch::kFloat32);  // (C, E)
}

// How a record's windows become class scores: a classifier's head, or prompts.
struct Scorer {
  std::string mode;                    // "classifier" | "zero-shot"
  std::vector<std::string> keys, texts;  // class names; prompts (zero-shot)
  std::string source;
  torch::Tensor cls;                   // (C, E) prompt embeddings (zero-shot)
  std::optional<ClassifierHead> head;  // classifier

  // (K, L, S) windows holding `leads` → (K, C) scores, on the CPU.
  torch::Tensor score(CgDmer& model, const torch::Tensor& x, const std::vector<int>& leads, bool bf16) const {
    torch::NoGradGuard ng;
    const torch::Device dev = model_device(model);
    torch::Tensor e;
    {
      AutocastGuard ac(bf16, dev);
      const auto xd = x.to(dev);
      e = (head ? model->ecg_features(xd, leads) : model->ecg_shared(xd, leads)).to(torch::kCPU, torch::kFloat32);
    }
    return head ? head->probabilities(head->logits(e)) : zero_shot_scores(e, cls);
  }
};

bool prompts_given(const ClassifyOptions& o) { return !o.labels.empty() || !o.prompts_file.empty(); }

Scorer make_scorer(const ClassifyOptions& o, CgDmer& model, const Config& cfg, std::optional<ClassifierHead> head,
                   bool bf16) {
  Scorer s;
  if (head && !prompts_given(o) && !o.zero_shot) {
    s.mode = "classifier";
    s.keys = head->classes;
    s.source = head->task;
    s.head = std::move(head);
    return s;
  }
  const ClassPrompts p = resolve_prompts(o);
  s.mode = "zero-shot";
  s.keys = p.keys;
  s.texts = p.texts;
  s.source = p.source;
  s.cls = encode_prompts(model, cfg, p, bf16);
  return s;
}

// One record's windows scored.
struct ScoredRecord {
  PreparedRecord first;          // the first window (id, path, leads)
  std::vector<double> starts;    // window starts, seconds
  torch::Tensor per_window;      // (K, C) scores
  torch::Tensor scores;          // (C) aggregated
};

ScoredRecord score_record(CgDmer& model, const Config& cfg, const std::string& contract,
                          const std::string& path, const Scorer& scorer,
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
  r.per_window = scorer.score(model, x, r.first.leads, bf16).contiguous();  // present leads only
  r.scores = o.aggregate == "max" ? std::get<0>(r.per_window.max(0)) : r.per_window.mean(0);
  return r;
}

}  // namespace

ClassifyResult run_classify(const ClassifyOptions& o) {
  using clock = std::chrono::steady_clock;
  if (o.top_k < 0) throw ConfigError("--top must be >= 0");
  if (prompts_given(o)) resolve_prompts(o);  // a bad prompt file or --aggregate fails before the model loads
  window_options(o);
  ClassifyResult r;
  const auto t0 = clock::now();
  Config cfg;
  std::string contract;
  std::optional<ClassifierHead> head;
  CgDmer model = load_serving_model(o.model, &cfg, &contract, &head);
  model->to(parse_device(o.device));
  const auto t1 = clock::now();
  const bool bf16 = uses_bf16(o.precision, model_device(model));
  const Scorer scorer = make_scorer(o, model, cfg, std::move(head), bf16);
  const ScoredRecord sr = score_record(model, cfg, contract, o.record, scorer, o, bf16);
  const auto t2 = clock::now();
  r.mode = scorer.mode;
  r.prompt_source = scorer.source;
  r.record_id = sr.first.id;
  r.record_path = sr.first.path;
  r.leads = sr.first.lead_names();
  r.aggregate = o.aggregate;
  r.window_starts = sr.starts;
  for (std::size_t c = 0; c < scorer.keys.size(); ++c) {
    ClassScore cs;
    cs.label = scorer.keys[c];
    if (!scorer.head) cs.prompt = scorer.texts[c];
    cs.score = double(sr.scores[std::int64_t(c)].item<float>());
    for (std::int64_t k = 0; k < sr.per_window.size(0); ++k)
      cs.per_window.push_back(sr.per_window[k][std::int64_t(c)].item<double>());
    if (scorer.head) {
      cs.threshold = scorer.head->thresholds[c];
      cs.positive = cs.score >= cs.threshold;
    }
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
  if (prompts_given(o)) resolve_prompts(o);
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
  std::optional<ClassifierHead> head;
  CgDmer model = load_serving_model(o.model, &cfg, &contract, &head);
  model->to(parse_device(o.device));
  const bool bf16 = uses_bf16(o.precision, model_device(model));
  const Scorer scorer = make_scorer(o, model, cfg, std::move(head), bf16);
  ClassifyTable t;
  t.mode = scorer.mode;
  t.classes = scorer.keys;
  if (scorer.head) t.thresholds = scorer.head->thresholds;
  t.prompt_source = scorer.source;
  t.aggregate = o.aggregate;
  Progress prog("classify", std::int64_t(files.size()), "records");
  for (const auto& f : files) {
    try {
      const ScoredRecord sr = score_record(model, cfg, contract, f, scorer, o, bf16);
      ClassifyTable::Row row;
      row.path = f;
      row.id = sr.first.id;
      row.leads = sr.first.lead_names();
      row.windows = int(sr.starts.size());
      for (std::int64_t c = 0; c < sr.scores.size(0); ++c) row.scores.push_back(sr.scores[c].item<double>());
      row.top = t.classes[std::size_t(std::max_element(row.scores.begin(), row.scores.end()) - row.scores.begin())];
      for (std::size_t c = 0; c < t.thresholds.size(); ++c)
        if (row.scores[c] >= t.thresholds[c]) row.positive.push_back(t.classes[c]);
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
  const bool classifier = t.mode == "classifier";
  nlohmann::ordered_json j;
  j["mode"] = t.mode;
  j[classifier ? "classifier" : "prompts"] = t.prompt_source;
  j["classes"] = t.classes;
  if (classifier) j["thresholds"] = finite_or_null(t.thresholds);
  j["aggregate"] = t.aggregate;
  j["score"] = classifier ? "calibrated probability of the fine-tuned classifier (temperature-scaled), "
                            "aggregated over windows; positive = reaches the class's validation-chosen threshold"
                          : "cosine of f_sh^ecg and each class prompt's f_sh^text, aggregated over windows";
  auto rows = nlohmann::ordered_json::array();
  for (const auto& r : t.rows) {
    nlohmann::ordered_json s;
    for (std::size_t c = 0; c < t.classes.size(); ++c) s[t.classes[c]] = r.scores[c];
    nlohmann::ordered_json row{{"path", r.path}, {"id", r.id}, {"leads", r.leads}, {"windows", r.windows},
                               {"top", r.top}};
    if (classifier) row["positive"] = r.positive;
    row["scores"] = s;
    rows.push_back(row);
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
  std::string csv = classifier ? "path,id,leads,windows,top,positive" : "path,id,leads,windows,top";
  for (const auto& c : t.classes) csv += "," + field(c);
  csv += "\n";
  char buf[32];
  for (const auto& r : t.rows) {
    std::string leads;
    for (const auto& l : r.leads) leads += (leads.empty() ? "" : " ") + l;
    csv += field(r.path) + "," + field(r.id) + "," + field(leads) + "," + std::to_string(r.windows) + "," + field(r.top);
    if (classifier) {
      std::string pos;
      for (const auto& c : r.positive) pos += (pos.empty() ? "" : " ") + c;
      csv += "," + field(pos);
    }
    for (double v : r.scores) {
      std::snprintf(buf, sizeof buf, ",%.6f", v);
      csv += buf;
    }
    csv += "\n";
  }
  write_file_atomic(out_json.substr(0, out_json.size() - 5) + ".csv", csv);
}

std::string classify_json(const ClassifyResult& r) {
  const bool classifier = r.mode == "classifier";
  nlohmann::ordered_json j;
  j["mode"] = r.mode;
  j["record"] = r.record_id;
  j["path"] = r.record_path;
  j[classifier ? "classifier" : "prompts"] = r.prompt_source;
  j["leads"] = r.leads;
  j["windows"] = {{"starts_s", r.window_starts}, {"aggregate", r.aggregate}};
  auto arr = nlohmann::ordered_json::array();
  for (const auto& s : r.ranked) {
    nlohmann::ordered_json e{{"label", s.label}};
    if (classifier) {
      e["probability"] = s.score;
      e["threshold"] = std::isfinite(s.threshold) ? nlohmann::ordered_json(s.threshold) : nlohmann::ordered_json();
      e["positive"] = s.positive;
    } else {
      e["score"] = s.score;
      e["prompt"] = s.prompt;
    }
    if (s.per_window.size() > 1) e["per_window"] = s.per_window;
    arr.push_back(e);
  }
  if (classifier) {
    auto findings = nlohmann::ordered_json::array();
    for (const auto& s : r.ranked)
      if (s.positive) findings.push_back(s.label);
    j["findings"] = findings;  // the classes whose probability reaches their threshold, most probable first
  }
  j["ranking"] = arr;
  j["timing_ms"] = {{"model_load", r.load_ms}, {"inference", r.infer_ms}};
  return j.dump(2);
}

}  // namespace cgdmer
