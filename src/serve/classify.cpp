// Implements classify.h.
#include "serve/classify.h"

#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/paths.h"
#include "eval/zero_shot.h"
#include "model/compat.h"
#include "model/text_tokenizer.h"
#include "serve/serving_model.h"
#include "text/tokenizer.h"

namespace cgdmer {

const std::vector<std::string>& default_classify_classes() {
  // PTB-XL diagnostic super classes, then common rhythm statements (all CKEPE keys).
  static const std::vector<std::string> k = {"NORM", "MI",   "STTC",  "CD",   "HYP",  "SR",
                                             "AFIB", "AFLT", "STACH", "SBRAD", "PACE"};
  return k;
}

ClassifyResult run_classify(const ClassifyOptions& o) {
  using clock = std::chrono::steady_clock;
  if (!o.labels.empty() && !o.prompts_file.empty())
    throw ConfigError("give --prompts or --labels, not both");
  if (o.top_k < 0) throw ConfigError("--top must be >= 0");
  ClassifyResult r;
  std::vector<std::string> keys, texts;
  if (!o.labels.empty()) {
    keys = texts = o.labels;
    r.prompt_source = "--labels";
  } else {
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
      keys = default_classify_classes();
      texts = prompts_for(prompts, keys, file);
    } else {
      for (const auto& [k, v] : prompts) keys.push_back(k), texts.push_back(v);
    }
    r.prompt_source = file;
  }

  const auto t0 = clock::now();
  Config cfg;
  std::string contract;
  CgDmer model = load_serving_model(o.model, &cfg, &contract);
  const auto t1 = clock::now();
  const bool bf16 = uses_bf16(o.precision, torch::kCPU);
  if (o.aggregate != "mean" && o.aggregate != "max" && o.aggregate != "first")
    throw ConfigError("--aggregate must be mean, max or first, not '" + o.aggregate + "'");
  WindowOptions wo;
  wo.stride_seconds = o.window_stride_seconds;
  wo.first_only = o.aggregate == "first";
  const std::vector<PreparedRecord> windows = prepare_record_windows(o.record, cfg, contract, wo);
  const PreparedRecord& rec = windows.front();
  r.record_id = rec.id;
  r.record_path = rec.path;
  r.leads = rec.lead_names();
  r.aggregate = o.aggregate;
  const std::int64_t K = std::int64_t(windows.size()), L = cfg.ecg.n_leads, S = cfg.ecg.n_samples;
  auto x = torch::empty({K, L, S}, torch::kFloat32);  // (K windows, L, S)
  for (std::int64_t k = 0; k < K; ++k) {
    const auto& w = windows[std::size_t(k)];
    std::copy(w.data.begin(), w.data.end(), x.data_ptr<float>() + k * L * S);
    r.window_starts.push_back(w.start_seconds);
  }
  torch::NoGradGuard ng;
  torch::Tensor ecg, cls;
  {
    AutocastGuard ac(bf16, torch::kCPU);
    ecg = model->ecg_shared(x, rec.leads).to(torch::kFloat32);  // (K, E), present leads only
    const WordPieceTokenizer tok = text_tokenizer_for(cfg.text);
    cls = encode_class_prompts(model, tok, texts, cfg.text.max_len).to(torch::kFloat32);  // (C, E)
  }
  const auto per_window = zero_shot_scores(ecg, cls).contiguous();  // (K, C)
  const auto scores = o.aggregate == "max" ? std::get<0>(per_window.max(0)) : per_window.mean(0);  // (C)
  const auto t2 = clock::now();
  for (size_t c = 0; c < keys.size(); ++c) {
    ClassScore cs{keys[c], texts[c], double(scores[std::int64_t(c)].item<float>()), {}};
    for (std::int64_t k = 0; k < K; ++k) cs.per_window.push_back(per_window[k][std::int64_t(c)].item<double>());
    r.ranked.push_back(std::move(cs));
  }
  std::stable_sort(r.ranked.begin(), r.ranked.end(),
                   [](const ClassScore& a, const ClassScore& b) { return a.score > b.score; });
  if (o.top_k > 0 && size_t(o.top_k) < r.ranked.size()) r.ranked.resize(size_t(o.top_k));
  r.load_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  r.infer_ms = std::chrono::duration<double, std::milli>(t2 - t1).count();
  return r;
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
