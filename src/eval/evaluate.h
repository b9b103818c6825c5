// The evaluation suite driver behind `cgdmer evaluate`: for each model (checkpoint, or the
// random-init baseline) × task × label ratio, linear probing of cached frozen features and
// zero-shot scoring; results.json (a list of {model, task, mode, ratio, auc, n_test, ...}),
// results.md in the paper's Table 1 (linear) / Table 2 (zero-shot) layout, ROC PNGs.
//
// Splits: PTB-XL tasks use strat_fold (train = all other folds, val = val_fold, test =
// test_fold), keeping only records with ≥ 1 label in the task (as MERL's split CSVs do);
// stores without folds (CPSC 2018, CSN) are split like MERL's preprocessing:
// train_test_split(test_size=0.2, rs=42), then test_size=0.1 on the rest for val — over the
// store's record order, which need not be MERL's CSV row order. The 1 % / 10 % training subsets are train_test_split(train, train_size=r/100,
// random_state=42) exactly as MERL (sklearn-exact port in data/splits.h). With `merl_splits`
// (MERL's released finetune/data_split folder) a task's train/val/test are the records its
// CSVs list, in their row order (eval/merl_splits.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "eval/model_loading.h"

namespace cgdmer {

struct EvaluateOptions {
  std::vector<std::string> models;     // checkpoint paths
  ModelLoader load_model;              // checkpoint → model (train's load_model_for_inference)
  bool random_init = false;            // add a random-init encoder row
  std::string random_init_config;      // preset/TOML for the random-init model ("" = first model's)
  std::vector<std::string> tasks;
  std::vector<std::string> stores;
  int val_fold = 9, test_fold = 10;
  std::vector<double> ratios{1, 10, 100};
  std::string protocol = "honest";
  bool linear = true, zeroshot = true;
  bool merl_bugs = false;
  std::string merl_splits;             // MERL's finetune/data_split folder: use its CSVs' splits
  std::string prompts;                 // "" = bundled CKEPE prompts
  std::string out_dir;
  int epochs = 100;
  int feature_batch = 64;
  std::string precision = "auto";
  std::string cache_dir;               // "" = OUT/cache
  std::uint64_t seed = 42;
  bool roc_plots = true;
};

struct ResultRow {
  std::string model, task, mode;  // mode: "linear" | "zeroshot"
  double ratio = 100;             // % of the training split (100 for zero-shot)
  double auc = 0;                 // macro ROC-AUC ×1 (0..1)
  std::int64_t n_test = 0, n_train = 0;
  int chosen_epoch = 0;           // linear only
  double val_auc = 0;             // linear only
  std::vector<std::string> excluded;  // classes left out of the macro mean
  std::string protocol;
};

std::vector<ResultRow> run_evaluation(const EvaluateOptions& opt);

// Writes OUT/results.json and OUT/results.md (atomic).
void write_results(const std::string& out_dir, const std::vector<ResultRow>& rows,
                   const EvaluateOptions& opt);

// The Markdown tables alone (exposed for tests).
std::string results_markdown(const std::vector<ResultRow>& rows, const EvaluateOptions& opt);

}  // namespace cgdmer
