// Table 3 as a command (`cgdmer ablate`): the paper's ablation rows — variants 1–4, the full
// CG-DMER, and a MERL-style baseline — each pretrained with k seeds on one store and
// evaluated on held-out records, then tabulated with mean ± sd over seeds, a bootstrap 95 % CI
// of the seed-mean AUC over the test records, and a paired bootstrap comparison with the full
// model (the same resamples for every row; metrics/bootstrap.h).
//   variant1  L_cons only, no masking                       (configs/variant1.toml)
//   variant2  + L_e.rec (masked ECG modelling)              (configs/variant2.toml)
//   variant3  + L_t.rec (masked report modelling)           (configs/variant3.toml)
//   variant4  + L_orth (disentanglement)                    (configs/variant4.toml)
//   full      + L_SigLIP: every term                        (the base preset)
//   merl      L_cons only with a frozen text encoder (MERL's setting; with pretrained
//             text weights in text.hf_weights this is MERL's frozen Med-CPT)
// The variants are override sets on a base preset (`tiny` for CPU scale, `paper` for the
// paper's), so the same table can be run at any scale. Runs are resumable: a finished run is
// reused, an interrupted one resumed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/precision.h"

namespace cgdmer {

struct AblationVariant {
  std::string name;
  std::vector<std::string> overrides;  // "section.key=value", applied after the base preset
};
// Every variant, in Table 3 order (variant1..4, full, merl).
const std::vector<AblationVariant>& table3_variants();

struct AblationOptions {
  std::string base_config = "tiny";
  std::vector<std::string> overrides;     // applied to every variant, before its own
  std::vector<std::string> variants;      // names to run (empty = all)
  int seeds = 3;
  std::uint64_t first_seed = 1;
  std::int64_t max_steps = -1;            // > 0 overrides train.max_steps
  std::string data;                       // one store: pretraining folds, val and test folds
  std::vector<int> folds{1, 2, 3, 4, 5, 6, 7};
  int val_fold = 8, test_fold = 9;
  std::vector<std::string> tasks{"ptbxl_super", "ptbxl_form", "ptbxl_rhythm"};
  std::vector<double> ratios{10, 100};
  int probe_epochs = 100;
  int bootstrap_resamples = 1000;
  Precision precision = Precision::automatic;
  std::string out;                        // OUT/runs/<variant>-s<seed>, OUT/ablation.{md,json}
  bool show_progress = true;
};

struct AblationCell {
  std::string variant, task, mode;  // mode "linear" | "zeroshot"
  double ratio = 100;
  std::vector<double> seed_auc;     // one per seed
  double mean = 0, sd = 0;          // over seeds
  double ci_low = 0, ci_high = 0;   // bootstrap CI of the seed mean
  double diff_vs_full = 0, diff_low = 0, diff_high = 0, p_not_above_full = 0;
};

// Runs (or reuses) every variant × seed, evaluates each, writes OUT/ablation.md and .json.
std::vector<AblationCell> run_ablation(const AblationOptions& opt);

// The Markdown table of the cells (exposed for tests).
std::string ablation_markdown(const std::vector<AblationCell>& cells, const AblationOptions& opt);

}  // namespace cgdmer
