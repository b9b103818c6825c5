// What one optimizer step measured: the loss and its terms, and whether the two modalities
// find each other inside the batch — summed over micro-batches, then over ranks with one
// all-reduce. Named fields, packed to a flat vector only for the collective.
//
// In-batch retrieval (this rank's micro-batches; B = local batch): ECG i "finds" its report
// when the cosine of h_sh^ecg_i and h_sh^text_i is the largest of row i (top1_e2t), and the
// converse for columns (top1_t2e). Two baselines sit beside them:
//   chance    1/B for top-1 and ln B for L_cons (uniform scores);
//   duplicates  reports repeated verbatim inside the batch (PTB-XL has many) cap what any
//             model can reach: with k_i identical reports for pair i, top-1 is at most 1/k_i
//             and each InfoNCE row costs at least ln k_i. dup_top1_ceiling = mean 1/k_i,
//             dup_loss_floor = mean ln k_i.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "model/cgdmer_model.h"

namespace cgdmer {

constexpr std::size_t kNumLossTerms = kLossTerms.size();  // model/loss_terms.h

struct StepStats {
  double nonfinite = 0;  // > 0: some micro-batch had a non-finite loss
  double loss = 0;       // mean total loss over micro-batches
  std::array<double, kNumLossTerms> term{};         // Σ term / accum
  std::array<double, kNumLossTerms> term_present{};  // Σ 1 / accum where the term exists
  // In-batch retrieval sums over pairs (see the file comment).
  double pairs = 0;
  double top1_e2t = 0, top1_t2e = 0;
  double chance_top1 = 0, chance_loss = 0;       // Σ over pairs of 1/B and ln B
  double dup_top1_ceiling = 0, dup_loss_floor = 0;  // Σ over pairs of 1/k_i and ln k_i

  // Adds one micro-batch: its outputs, its reports' token ids (B rows) and 1/grad_accum.
  void add_micro_batch(const CgDmerOutputs& out, double loss_value,
                       const std::vector<std::vector<std::int32_t>>& report_tokens,
                       double weight);
  std::vector<double> pack() const;
  static StepStats unpack(const std::vector<double>& v);
  // Fields of a metrics.jsonl line: each loss term's mean and the in-batch retrieval figures
  // with their baselines.
  void write_json(nlohmann::json& j) const;
};

// Gradient norm of each weighted loss term at the ECG side (tokenizer + encoder) and the text
// encoder, from one micro-batch's graph (kept for the total's backward): shows which term
// drives the shared encoders and whether terms fight. JSON keys grad_norm_<term>_ecg/_text.
void per_term_gradient_norms(CgDmer& model, const CgDmerOutputs& out, nlohmann::json& j);

}  // namespace cgdmer
