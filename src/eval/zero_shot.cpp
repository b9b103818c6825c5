// Zero-shot scoring from class prompts (see zero_shot.h).
#include "eval/zero_shot.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"

namespace cgdmer {

std::map<std::string, std::string> load_prompts(const std::string& path) {
  const std::string text = read_file(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    throw FormatError(path, std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw FormatError(path, "expected a JSON object {class: description}");
  std::map<std::string, std::string> out;
  for (auto& [k, v] : j.items()) {
    if (!v.is_string())
      throw FormatError(path, "value of '" + k + "' is not a string (one description per class)");
    out[k] = v.get<std::string>();
  }
  if (out.empty()) throw FormatError(path, "no prompts in the file");
  return out;
}

std::vector<std::string> prompts_for(const std::map<std::string, std::string>& prompts,
                                     const std::vector<std::string>& keys,
                                     const std::string& prompt_file) {
  std::vector<std::string> out;
  std::string missing;
  for (const auto& k : keys) {
    auto it = prompts.find(k);
    if (it == prompts.end()) missing += (missing.empty() ? "" : ", ") + k;
    else out.push_back(it->second);
  }
  if (!missing.empty())
    throw ConfigError(prompt_file + ": no prompt for class(es) " + missing,
                      "add them to the prompt file or pass another with --prompts");
  return out;
}

torch::Tensor encode_class_prompts(CgDmer& model, const WordPieceTokenizer& tok,
                                   const std::vector<std::string>& texts, int max_len) {
  torch::NoGradGuard ng;
  model->eval();
  const auto C = std::int64_t(texts.size());
  auto ids = torch::zeros({C, max_len}, torch::kLong), mask = torch::zeros({C, max_len}, torch::kLong);
  for (std::int64_t c = 0; c < C; ++c) {
    std::string lower = texts[c];  // MERL: text.lower() (the tokenizer lower-cases too)
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char ch) { return char(std::tolower(ch)); });
    const auto enc = tok.encode(lower, max_len, /*pad=*/true);
    for (int t = 0; t < max_len; ++t) {
      ids[c][t] = enc.ids[t];
      mask[c][t] = enc.attention_mask[t];
    }
  }
  const torch::Device device = model->parameters().front().device();
  auto e = model->text_shared(ids.to(device), mask.to(device))
               .to(torch::kCPU, torch::kFloat32);  // (C, E), normalised
  return e / e.norm(2, 1, true).clamp_min(1e-12);               // MERL re-normalises
}

torch::Tensor zero_shot_scores(const torch::Tensor& ecg_shared, const torch::Tensor& class_emb) {
  return ecg_shared.to(torch::kFloat32).mm(class_emb.to(torch::kFloat32).t());  // (N, C)
}

ZeroShotTaskScore score_zero_shot_task(CgDmer& model, const WordPieceTokenizer& tok,
                                       const std::vector<std::string>& class_prompts,
                                       const torch::Tensor& ecg_shared,
                                       const std::vector<std::uint8_t>& labels) {
  const int C = int(class_prompts.size());
  if (labels.size() != std::size_t(ecg_shared.size(0)) * std::size_t(C))
    throw Error("zero-shot: " + std::to_string(labels.size()) + " labels for " +
                std::to_string(ecg_shared.size(0)) + " ECGs × " + std::to_string(C) + " classes");
  const auto cls = encode_class_prompts(model, tok, class_prompts, model->config().text.max_len);
  const auto s = zero_shot_scores(ecg_shared, cls).contiguous();  // (N, C)
  ZeroShotTaskScore out;
  out.scores.assign(s.data_ptr<float>(), s.data_ptr<float>() + s.numel());
  out.auc = macro_roc_auc(out.scores, labels, C);
  return out;
}

}  // namespace cgdmer
