// Label-free measures of a representation, used to see whether pretraining learns:
//   effective rank (Roy & Vetterli 2007): exp of the Shannon entropy of the normalised
//     singular values of the centred (N, D) feature matrix; 1 for features on a line
//     (collapse), D for isotropic ones;
//   cross-modal retrieval recall@K: for each ECG, are its own report's embeddings among the K
//     most similar reports? A report whose text equals the true one counts as a hit (PTB-XL
//     repeats reports verbatim), and the chance level is given with the same rule.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/torch.h>

namespace cgdmer {

// features (N, D), N ≥ 2. Computed in float64.
double effective_rank(const torch::Tensor& features);

struct RetrievalRecall {
  int k = 1;
  double recall = 0;  // ECG → report
  double chance = 0;  // expected recall of a random ranking under the same hit rule
};

// ecg (N, E) and text (N, E) L2-normalised, row i of each from the same record; report_group
// (N): equal values = identical report text. One entry per k in ks (k clipped to N).
std::vector<RetrievalRecall> retrieval_recall(const torch::Tensor& ecg, const torch::Tensor& text,
                                              const std::vector<std::int64_t>& report_group,
                                              const std::vector<int>& ks);

// Groups of identical token-id sequences: equal ids ↔ equal group number (0, 1, ... in order of
// first appearance).
std::vector<std::int64_t> identical_groups(const std::vector<std::vector<std::int32_t>>& seqs);

}  // namespace cgdmer
