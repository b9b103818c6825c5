// Implements step_stats.h.
#include "train/step_stats.h"

#include <cmath>

#include "eval/embedding_quality.h"

namespace cgdmer {

void StepStats::add_micro_batch(const CgDmerOutputs& out, double loss_value,
                                const std::vector<std::vector<std::int32_t>>& report_tokens,
                                double weight) {
  if (!std::isfinite(loss_value)) nonfinite = 1;
  loss += loss_value * weight;
  for (std::size_t k = 0; k < kNumLossTerms; ++k) {
    auto it = out.terms.find(kLossTerms[k]);
    if (it == out.terms.end()) continue;
    term[k] += it->second.item<double>() * weight;
    term_present[k] += weight;
  }
  if (!out.ecg_shared.defined() || !out.text_shared.defined()) return;
  torch::NoGradGuard ng;
  namespace F = torch::nn::functional;
  const auto opt = F::NormalizeFuncOptions().dim(1);
  const auto e = F::normalize(out.ecg_shared.detach().to(torch::kCPU, torch::kFloat32), opt);
  const auto t = F::normalize(out.text_shared.detach().to(torch::kCPU, torch::kFloat32), opt);
  const auto sim = e.mm(t.t());  // (B, B)
  const std::int64_t b = sim.size(0);
  const auto diag = torch::arange(b, torch::kLong);
  top1_e2t += sim.argmax(1).eq(diag).sum().item<double>();
  top1_t2e += sim.argmax(0).eq(diag).sum().item<double>();
  pairs += double(b);
  chance_top1 += 1.0;  // Σ over B pairs of 1/B
  chance_loss += double(b) * std::log(double(b));
  const auto groups = identical_groups(report_tokens);
  std::vector<int> size(groups.size(), 0);
  for (auto g : groups) ++size[std::size_t(g)];
  for (auto g : groups) {
    dup_top1_ceiling += 1.0 / size[std::size_t(g)];
    dup_loss_floor += std::log(double(size[std::size_t(g)]));
  }
}

std::vector<double> StepStats::pack() const {
  std::vector<double> v{nonfinite, loss};
  v.insert(v.end(), term.begin(), term.end());
  v.insert(v.end(), term_present.begin(), term_present.end());
  for (double x : {pairs, top1_e2t, top1_t2e, chance_top1, chance_loss, dup_top1_ceiling,
                   dup_loss_floor})
    v.push_back(x);
  return v;
}

StepStats StepStats::unpack(const std::vector<double>& v) {
  StepStats s;
  std::size_t i = 0;
  s.nonfinite = v.at(i++);
  s.loss = v.at(i++);
  for (auto& x : s.term) x = v.at(i++);
  for (auto& x : s.term_present) x = v.at(i++);
  for (double* x : {&s.pairs, &s.top1_e2t, &s.top1_t2e, &s.chance_top1, &s.chance_loss,
                    &s.dup_top1_ceiling, &s.dup_loss_floor})
    *x = v.at(i++);
  return s;
}

void StepStats::write_json(nlohmann::json& j) const {
  for (std::size_t k = 0; k < kNumLossTerms; ++k)
    if (term_present[k] > 0) j[loss_term_name(kLossTerms[k])] = term[k] / term_present[k];
  if (pairs > 0) {
    j["top1_e2t"] = top1_e2t / pairs;
    j["top1_t2e"] = top1_t2e / pairs;
    j["top1_chance"] = chance_top1 / pairs;
    j["top1_dup_ceiling"] = dup_top1_ceiling / pairs;
    j["loss_cons_chance"] = chance_loss / pairs;
    j["loss_cons_dup_floor"] = dup_loss_floor / pairs;
  }
}

void per_term_gradient_norms(CgDmer& model, const CgDmerOutputs& out, nlohmann::json& j) {
  auto trainable = [](std::vector<torch::Tensor> ps) {
    std::vector<torch::Tensor> out;
    for (auto& p : ps)
      if (p.requires_grad()) out.push_back(p);
    return out;
  };
  const auto ecg_params = trainable(model->ecg_encoder_parameters());
  const auto text_params = trainable(model->text_encoder_parameters());
  auto norm_of = [](const std::vector<torch::Tensor>& grads) {
    double sq = 0;
    for (const auto& g : grads)
      if (g.defined()) sq += g.detach().to(torch::kFloat64).pow(2).sum().item<double>();
    return std::sqrt(sq);
  };
  for (const auto& [name, wterm] : out.weighted_terms) {
    if (!wterm.requires_grad()) continue;
    const std::string key = std::string("grad_norm_") + (loss_term_name(name) + 5);  // "grad_norm_cons"
    std::vector<torch::Tensor> params = ecg_params;
    params.insert(params.end(), text_params.begin(), text_params.end());
    const auto grads = torch::autograd::grad({wterm}, params, {}, /*retain_graph=*/true,
                                             /*create_graph=*/false, /*allow_unused=*/true);
    const std::vector<torch::Tensor> ge(grads.begin(), grads.begin() + std::ptrdiff_t(ecg_params.size()));
    const std::vector<torch::Tensor> gt(grads.begin() + std::ptrdiff_t(ecg_params.size()), grads.end());
    j[key + "_ecg"] = norm_of(ge);
    j[key + "_text"] = norm_of(gt);
  }
}

}  // namespace cgdmer
