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
  const PreparedRecord rec = prepare_record_for_model(o.record, cfg, contract);
  r.record_id = rec.id;
  r.record_path = rec.path;
  r.leads = rec.lead_names();
  torch::NoGradGuard ng;
  auto x = torch::from_blob(const_cast<float*>(rec.data.data()),
                            {1, cfg.ecg.n_leads, cfg.ecg.n_samples}, torch::kFloat32);
  torch::Tensor ecg, cls;
  {
    AutocastGuard ac(bf16, torch::kCPU);
    ecg = model->ecg_shared(x, rec.leads).to(torch::kFloat32);  // (1, E), present leads only
    const WordPieceTokenizer tok = text_tokenizer_for(cfg.text);
    cls = encode_class_prompts(model, tok, texts, cfg.text.max_len).to(torch::kFloat32);  // (C, E)
  }
  auto scores = zero_shot_scores(ecg, cls).contiguous();  // (1, C)
  const auto t2 = clock::now();
  for (size_t c = 0; c < keys.size(); ++c)
    r.ranked.push_back({keys[c], texts[c], double(scores[0][std::int64_t(c)].item<float>())});
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
  auto arr = nlohmann::ordered_json::array();
  for (const auto& s : r.ranked)
    arr.push_back({{"label", s.label}, {"score", s.score}, {"prompt", s.prompt}});
  j["ranking"] = arr;
  j["timing_ms"] = {{"model_load", r.load_ms}, {"inference", r.infer_ms}};
  return j.dump(2);
}

}  // namespace cgdmer
