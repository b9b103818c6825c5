// The evaluation suite driver behind `cgdmer evaluate`: for each model (checkpoint, or the
// random-init baseline) × task × label ratio, linear probing of cached frozen features and
// zero-shot scoring; results.json (a list of {model, task, mode, ratio, auc, n_test, ...}),
// results.md in the paper's Table 1 (linear) / Table 2 (zero-shot) layout plus the probes'
// macro metrics with CIs, results_per_class.md (per-class metrics with CIs), ROC PNGs.
//
// Each task's split and labels are resolved by eval/task_split.h (strat_fold, MERL's random
// split, or MERL's released CSVs; MERL's label bugs when asked); this file orchestrates.
// Leakage guard: a checkpoint records the records it was pretrained on; a test split that
// holds one of them is refused (EvaluateOptions::allow_pretraining_overlap overrides).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "eval/linear_probe.h"
#include "metrics/trust_report.h"
#include "model/precision.h"

namespace cgdmer {

struct EvaluateOptions {
  std::vector<std::string> models;     // checkpoint files or run folders
  // A model whose checkpoint records its pretraining records is refused when a task's test
  // split holds any of them (ConfigError naming the overlap), unless this is set.
  bool allow_pretraining_overlap = false;
  bool random_init = false;            // add a random-init encoder row
  std::string random_init_config;      // preset/TOML for the random-init model ("" = first model's)
  // Random-init encoders drawn (model seeds seed, seed + 1, ...). One draw is a noisy baseline
  // (its zero-shot AUC on a small test set lands anywhere from ~40 to ~60); with K > 1 the rows
  // are "random-init-1" … "random-init-K" and results.md adds their mean ± sd.
  int random_init_draws = 1;
  // A lead subset, by name ("I", "II", "V1", …; empty = every lead of the store): each test,
  // validation and training record is cut to these leads (eval/features.h), encoded on their
  // tokens only, or with zero_fill_absent as a full input whose other leads are 0.
  std::vector<std::string> leads;
  bool zero_fill_absent = false;
  // A store whose records are longer than the model's window is evaluated through windows
  // (eval/features.h); seconds between window starts, 0 = the window length.
  double window_stride_seconds = 0;
  std::vector<std::string> tasks;
  std::vector<std::string> stores;
  int val_fold = 9, test_fold = 10;
  std::vector<double> ratios{1, 10, 100};
  ProbeProtocol protocol = ProbeProtocol::honest;
  bool linear = true, zeroshot = true;
  bool merl_bugs = false;
  std::string merl_splits;             // MERL's finetune/data_split folder: use its CSVs' splits
  std::string prompts;                 // "" = bundled CKEPE prompts
  std::string out_dir;
  int epochs = 100;
  int feature_batch = 64;
  Precision precision = Precision::automatic;
  std::string device = "cpu";          // where the encoders run: cpu | cuda | cuda:N
  std::string cache_dir;               // "" = OUT/cache
  std::uint64_t seed = 42;
  bool roc_plots = true;
  // Bootstrap resamples for the linear probe's per-class / macro metrics with 95 % CIs
  // (metrics/trust_report.h: thresholds and temperature chosen on the validation split);
  // 0 = leave them out.
  int trust_resamples = 1000;
};

struct ResultRow {
  std::string model, task, mode;  // mode: "linear" | "zeroshot"
  double ratio = 100;             // % of the training split (100 for zero-shot)
  double auc = 0;                 // macro ROC-AUC ×1 (0..1)
  std::int64_t n_test = 0, n_train = 0;
  int chosen_epoch = 0;           // linear only
  double val_auc = 0;             // linear only
  std::vector<std::string> excluded;  // classes left out of the macro mean
  std::string protocol;            // "honest" | "merl" (linear), "zero-shot"
  // The reported test scores and labels, (n_test, C) row-major: for CIs and paired comparisons.
  std::vector<double> test_scores;
  std::vector<std::uint8_t> test_labels;
  // Linear only: AUROC, AUPRC, F1 / sensitivity / specificity at validation-chosen thresholds,
  // Brier, ECE, per class and macro, with bootstrap CIs (null when not computed).
  std::shared_ptr<const TrustReport> trust = nullptr;
};

std::vector<ResultRow> run_evaluation(const EvaluateOptions& opt);

// Writes OUT/results.json and OUT/results.md (atomic).
void write_results(const std::string& out_dir, const std::vector<ResultRow>& rows,
                   const EvaluateOptions& opt);

// The Markdown tables alone (exposed for tests).
std::string results_markdown(const std::vector<ResultRow>& rows, const EvaluateOptions& opt);
// Each linear-probe row's per-class trust table (results_per_class.md).
std::string per_class_markdown(const std::vector<ResultRow>& rows);

}  // namespace cgdmer
