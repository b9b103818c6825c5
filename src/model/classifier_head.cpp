// Implements classifier_head.h.
#include "model/classifier_head.h"

#include <cmath>
#include <limits>

#include "core/error.h"

namespace cgdmer {

Objective parse_objective(const std::string& text) {
  if (text == "multilabel") return Objective::multilabel;
  if (text == "multiclass") return Objective::multiclass;
  throw ConfigError("objective must be multilabel or multiclass, not '" + text + "'");
}

const char* objective_name(Objective o) { return o == Objective::multilabel ? "multilabel" : "multiclass"; }

torch::Tensor ClassifierHead::logits(const torch::Tensor& features) const {
  return torch::nn::functional::linear(features.to(torch::kFloat32), weight.to(features.device()),
                                       bias.to(features.device()));
}

torch::Tensor ClassifierHead::probabilities(const torch::Tensor& z) const {
  const auto scaled = z.to(torch::kFloat32) / temperature;
  return objective == Objective::multilabel ? torch::sigmoid(scaled) : torch::softmax(scaled, 1);
}

namespace {

std::vector<double> flat(const torch::Tensor& t) {
  const auto c = t.to(torch::kCPU, torch::kFloat32).contiguous();
  return std::vector<double>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

torch::Tensor tensor_of(const std::vector<double>& v, std::vector<std::int64_t> shape) {
  auto t = torch::empty(shape, torch::kFloat32);
  for (std::size_t i = 0; i < v.size(); ++i) t.data_ptr<float>()[i] = float(v[i]);
  return t;
}

}  // namespace

nlohmann::json to_json(const ClassifierHead& h) {
  nlohmann::json thr = nlohmann::json::array();
  for (double t : h.thresholds) thr.push_back(std::isfinite(t) ? nlohmann::json(t) : nlohmann::json());
  return {{"task", h.task},
          {"objective", objective_name(h.objective)},
          {"classes", h.classes},
          {"in_features", h.weight.defined() ? h.weight.size(1) : 0},
          {"weight", flat(h.weight)},
          {"bias", flat(h.bias)},
          {"temperature", h.temperature},
          {"thresholds", thr},  // null = +inf: no positive in validation, never predicted
          {"provenance", h.provenance}};
}

ClassifierHead classifier_head_from_json(const nlohmann::json& j, const std::string& path) {
  const std::string where = "classifier head: ";
  try {
    ClassifierHead h;
    h.task = j.at("task").get<std::string>();
    h.objective = parse_objective(j.at("objective").get<std::string>());
    h.classes = j.at("classes").get<std::vector<std::string>>();
    const auto D = j.at("in_features").get<std::int64_t>();
    const auto C = std::int64_t(h.classes.size());
    const auto w = j.at("weight").get<std::vector<double>>();
    const auto b = j.at("bias").get<std::vector<double>>();
    if (C < 1 || D < 1 || std::int64_t(w.size()) != C * D || std::int64_t(b.size()) != C)
      throw FormatError(path, where + "weight holds " + std::to_string(w.size()) + " and bias " +
                                  std::to_string(b.size()) + " values for " + std::to_string(C) +
                                  " classes of " + std::to_string(D) + " features");
    h.weight = tensor_of(w, {C, D});
    h.bias = tensor_of(b, {C});
    h.temperature = j.at("temperature").get<double>();
    if (!(h.temperature > 0) || !std::isfinite(h.temperature))
      throw FormatError(path, where + "temperature must be a finite number > 0");
    for (const auto& t : j.at("thresholds"))
      h.thresholds.push_back(t.is_null() ? std::numeric_limits<double>::infinity() : t.get<double>());
    if (std::int64_t(h.thresholds.size()) != C)
      throw FormatError(path, where + std::to_string(h.thresholds.size()) + " thresholds for " +
                                  std::to_string(C) + " classes");
    h.provenance = j.value("provenance", nlohmann::json());
    return h;
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(path, where + e.what());
  } catch (const ConfigError& e) {
    throw FormatError(path, where + e.what());
  }
}

}  // namespace cgdmer
