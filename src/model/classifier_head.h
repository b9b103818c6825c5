// The classification head that `cgdmer finetune` trains on top of the ECG encoder, and what a
// classifier model carries so that `classify` can name its findings: the label names, the
// objective, one Linear(D, C) on the pooled ECG features (CgDmer::ecg_features: token mean →
// LayerNorm), the temperature fitted on validation and each class's decision threshold, chosen
// on validation, on the calibrated probability.
//   multilabel   p_c = sigmoid(z_c / T)        (findings are independent, PTB-XL style)
//   multiclass   p   = softmax(z / T)          (exactly one class per record)
// The head lives in the checkpoint's meta JSON (CheckpointMeta::classifier), beside the
// encoder's weights under their usual names, so every command that loads a CG-DMER model
// (embed, retrieve, evaluate) loads a classifier model unchanged. Floats are written with 17
// significant digits, which gives every float32 back exactly.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

namespace cgdmer {

enum class Objective { multilabel, multiclass };
Objective parse_objective(const std::string& text);  // ConfigError on anything else
const char* objective_name(Objective o);

struct ClassifierHead {
  std::string task;                  // task name ("ptbxl_super") or the label CSV it came from
  Objective objective = Objective::multilabel;
  std::vector<std::string> classes;  // (C) label names, in output order
  torch::Tensor weight;              // (C, D) float32
  torch::Tensor bias;                // (C) float32
  double temperature = 1;            // > 0, fitted on validation (1 = uncalibrated)
  std::vector<double> thresholds;    // (C) on the calibrated probability; +inf = never positive
  nlohmann::json provenance;         // how it was trained and chosen (informational)

  int n_classes() const { return int(classes.size()); }
  // (B, D) pooled features → (B, C) logits, float32.
  torch::Tensor logits(const torch::Tensor& features) const;
  // (B, C) logits → (B, C) calibrated probabilities (the objective's link at temperature T).
  torch::Tensor probabilities(const torch::Tensor& logits) const;
};

nlohmann::json to_json(const ClassifierHead& h);
// FormatError naming `path` when a field is missing, mistyped or of inconsistent size.
ClassifierHead classifier_head_from_json(const nlohmann::json& j, const std::string& path);

}  // namespace cgdmer
