// Validation during pretraining: how the model does on records it does not train on, every
// train.val_every steps and at the end.
//   loss          mean total pretraining loss over (at most) 20 batches, fixed masks, no dropout
//   zero-shot     mean macro AUC over every downstream task whose labels the validation store
//                 carries (e.g. PTB-XL super/sub/form/rhythm), with the bundled CKEPE prompts —
//                 MERL's best-checkpoint criterion; eval's score_zero_shot_task does the scoring
//   retrieval     ECG → report recall@1/5/10 among the validation records (identical report
//                 texts count as hits; chance given with the same rule)
//   effective rank  of the pooled features, h_sh and h_sp of each modality (collapse shows as a
//                 rank near 1)
// Retrieval and ranks use at most the first 1,000 validation records.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "config/config.h"
#include "data/shard_store.h"
#include "eval/embedding_quality.h"
#include "model/cgdmer_model.h"
#include "model/precision.h"
#include "text/tokenizer.h"
#include "train/collate.h"
#include "train/distributed.h"

namespace cgdmer {

struct ValidationReport {
  double loss = std::nan("");
  double zero_shot_auc = std::nan("");                       // NaN when no task applies
  std::vector<std::pair<std::string, double>> zero_shot_tasks;  // (task, macro AUC)
  std::vector<RetrievalRecall> recall;                       // k = 1, 5, 10
  std::vector<std::pair<std::string, double>> effective_ranks;  // e.g. ("ecg_pooled", 12.3)
  // Best-checkpoint criterion, higher is better: zero-shot AUC where the store has task
  // labels, else the negated loss.
  double score() const;
  void write_json(nlohmann::json& j) const;
};

struct ValidationSetup {
  const ShardStore* store = nullptr;
  std::vector<std::int64_t> rows;  // validation records (empty = the whole store)
  CollateOptions collate;
  // The text encoder's tokenizer: reports whose stored ids another vocabulary made are read
  // in its ids (data/report_tokens.h). nullptr = the stored ids as they are.
  const WordPieceTokenizer* text_tokenizer = nullptr;
  std::uint64_t seed = 0;          // masks as in epoch 0 of the run
  Precision precision = Precision::fp32;  // resolved
};

// Every rank computes the same report (the loss is averaged over ranks). The model is put
// back in train mode.
ValidationReport validate(CgDmer& model, const Config& cfg, const ValidationSetup& v,
                          Distributed& dist);

}  // namespace cgdmer
