// `cgdmer finetune`: a classifier on the user's labels, from a pretrained CG-DMER (or from a
// random-init encoder, the baseline), with every choice made on validation and the result
// reported on a test split nobody chose anything on.
//
//   labels     a task of eval/tasks.h on a store that carries it (PTB-XL super/sub/form/rhythm,
//              CPSC 2018, CSN; split by eval/task_split.h), or any label CSV
//              (eval/label_csv.h)
//   mode       linear  the encoder frozen: features extracted once, one Linear(D, C) trained
//              full    the ECG tokenizer and encoder trained with the head; layer-wise LR decay:
//                      head and final norms at lr, block k of depth K at lr·decay^(K−k+1)… down
//                      to the tokenizer at lr·decay^(K+1) (layer_lr_scales)
//   objective  multilabel (BCE with logits; class_weights "balanced": pos_weight = n_neg/n_pos
//              per class) or multiclass (cross-entropy over exactly one class per record;
//              "balanced": weight_c = N / (C·n_c))
//   schedule   AdamW, linear warm-up over the first epoch (full mode) then cosine to 0, per step
//   choice     the epoch with the best validation macro AUROC; then, on validation only: the
//              temperature (metrics/temperature.h) and each class's threshold on the calibrated
//              probability (max F1, metrics/threshold_metrics.h)
//   test       AUROC, AUPRC, F1 / sensitivity / specificity at those thresholds, Brier and ECE,
//              per class and macro, with stratified bootstrap 95 % CIs (metrics/trust_report.h)
//
// Run folder (like pretrain's): finetune.json (the options, for --resume), config.toml,
// metrics.jsonl (one line per epoch), finetune_curves.png, checkpoints/step-<epoch>.ckpt (encoder,
// head and optimizer, the last two kept; best.ckpt = best validation epoch), and at the end
// classifier.ckpt — a CG-DMER checkpoint whose meta carries the head (model/classifier_head.h)
// and the preprocessing contract — plus results.json / results.md. An interrupted run
// continues from its last finished epoch with --resume RUN alone, exactly: the shuffles and
// dropout of epoch e derive from (seed, e).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "metrics/trust_report.h"
#include "model/classifier_head.h"
#include "model/precision.h"

namespace cgdmer {

struct FinetuneOptions {
  std::string model;               // pretrained checkpoint or run folder
  std::string random_init_config;  // or: a preset / TOML whose encoder starts from random weights
  std::string data;                // shard store
  std::string task;                // a task name (eval/tasks.h) …
  std::string labels_csv;          // … or a label CSV (eval/label_csv.h)
  int val_fold = 9, test_fold = 10;  // when the store has folds (PTB-XL strat_fold)
  std::string mode = "full";       // linear | full
  Objective objective = Objective::multilabel;
  std::string class_weights = "none";  // none | balanced
  int epochs = 10;
  int batch_size = 32;
  double lr = 1e-3;                // head's peak LR (full mode: encoder layers scaled below it)
  double weight_decay = 0.05;
  double layer_decay = 0.75;       // full mode; 1 = one LR for every layer
  double grad_clip = 1.0;          // global norm; 0 = off
  std::uint64_t seed = 42;
  Precision precision = Precision::automatic;
  bool allow_pretraining_overlap = false;
  int trust_resamples = 1000;      // bootstrap resamples of the test CIs
  std::string out;                 // run folder
  std::string resume;              // an interrupted run folder: continue it (other fields ignored)
  bool progress = true;
  // Return after this epoch as a killed run would stop (0 = run to the end): for the resume
  // tests; not saved in finetune.json.
  int stop_after_epoch = 0;
};

struct FinetuneResult {
  std::string run_dir, classifier_path;  // classifier_path "" when stopped early
  int best_epoch = 0;
  double best_val_auroc = 0;
  ClassifierHead head;                         // calibrated, with thresholds
  std::shared_ptr<const TrustReport> test;     // null when the split has no test records
  std::int64_t n_train = 0, n_val = 0, n_test = 0;
};

FinetuneResult run_finetune(const FinetuneOptions& options);

// Full mode's LR factor per parameter (layer-wise decay), by name: ecg_encoder.blocks.k.* →
// decay^(depth − k), the tokenizer and its embeddings → decay^(depth + 1), ecg_encoder.norm /
// pool_norm and the head → 1. Exposed for tests.
double layer_lr_scale(const std::string& name, int depth, double decay);

// The options as JSON (finetune.json) and back; FormatError naming `path` on a bad field.
nlohmann::json finetune_options_json(const FinetuneOptions& o);
FinetuneOptions finetune_options_from_json(const nlohmann::json& j, const std::string& path);

}  // namespace cgdmer
