// Linear probing of frozen features (paper Table 1; MERL finetune/main_single.py): one
// Linear(D, C) trained with BCEWithLogits, Adam (L2 weight decay, as torch.optim.Adam),
// mini-batches of 16 reshuffled each epoch, 100 epochs; the validation and test macro AUC
// (on logits, like MERL) are computed after every epoch.
//   protocol "honest": the epoch with the best VALIDATION macro AUC is chosen (first on ties)
//                      and the test AUC at that epoch is reported.
//   protocol "merl":   MERL's reporting: the MAXIMUM test AUC over epochs, and its LR quirk —
//                      MultiStepLR(milestones=[40], gamma=0.1) stepped after every batch AND
//                      after every epoch, so the LR is 1e-4 from the 40th scheduler step on.
// The gradient and Adam update are written out in tensor ops (no autograd; verified against
// torch::nn::Linear + BCEWithLogits + torch::optim::Adam in tests/eval), which keeps a
// 100-epoch probe on 17k × 768 features at a few ten-thousand tiny steps without overhead.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "metrics/roc_auc.h"

namespace cgdmer {

struct ProbeSplit {
  torch::Tensor features;  // (N, D) float32
  torch::Tensor labels;    // (N, C) float32 multi-hot {0, 1}
};

// Which epoch a probe reports:
//   honest  the epoch with the best VALIDATION AUC (the default)
//   merl    the epoch with the best TEST AUC, with MERL's MultiStepLR quirk — MERL's reporting,
//           comparable to published tables, optimistically biased
enum class ProbeProtocol { honest, merl };
ProbeProtocol parse_probe_protocol(const std::string& text);  // ConfigError on anything else
const char* probe_protocol_name(ProbeProtocol p);

struct ProbeOptions {
  int epochs = 100;
  int batch_size = 16;
  double lr = 1e-3;
  double weight_decay = 1e-4;
  ProbeProtocol protocol = ProbeProtocol::honest;
  std::uint64_t seed = 42;
  bool keep_scores = true;          // keep the reported epoch's validation and test logits
};

struct ProbeEpoch {
  int epoch = 0;           // 1-based
  double train_loss = 0;   // mean over the epoch's batches
  double lr = 0;           // LR at the end of the epoch
  double val_auc = 0;      // macro AUC (NaN when no class is usable)
  double test_auc = 0;
};

struct ProbeResult {
  ProbeProtocol protocol = ProbeProtocol::honest;
  std::vector<ProbeEpoch> history;
  int chosen_epoch = 0;         // 1-based epoch whose test AUC is reported
  double val_auc = 0;           // at chosen_epoch
  double test_auc = 0;          // the reported number
  MultiLabelAuc test_detail;    // per-class and excluded classes at chosen_epoch
  std::vector<double> test_scores;  // (N_test, C) logits at chosen_epoch (if keep_scores)
  std::vector<double> val_scores;   // (N_val, C) logits at chosen_epoch (if keep_scores):
                                    // thresholds and temperature are chosen on these
};

ProbeResult linear_probe(const ProbeSplit& train, const ProbeSplit& val, const ProbeSplit& test,
                         const ProbeOptions& opt = {});

// Which epoch each protocol reports, from a history (exposed for tests): honest → argmax
// val_auc, merl → argmax test_auc; first maximum wins; NaNs never win. Returns index.
int select_epoch(const std::vector<ProbeEpoch>& history, ProbeProtocol protocol);

// MERL's LR at a given scheduler step count (milestone 40, gamma 0.1).
double merl_probe_lr(double base_lr, std::int64_t scheduler_steps);

// (N, C) tensor → row-major doubles / bytes for the metrics library.
std::vector<double> to_doubles(const torch::Tensor& t);
std::vector<std::uint8_t> to_bytes(const torch::Tensor& t);

}  // namespace cgdmer
