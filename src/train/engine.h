// The pretraining engine behind `cgdmer pretrain`: resolve the run (config, data, device,
// precision — a resumed run takes its config and data from its checkpoint), build the model
// (same init on every rank), then the plain loop — read batch, collate + mask, forward under
// bf16 autocast where enabled (losses fp32), backward, all-reduce gradients, skip the step if
// any rank's loss is non-finite, clip, AdamW step — with metrics.jsonl (losses, in-batch
// alignment, per-term gradient norms, validation), PNG curves, checkpoints (keep-last-k,
// best-by-validation) that record the training records, and exact resume.
//
// Randomness, chosen so that resume is exact and ranks are independent of batch layout:
//   model init        torch::manual_seed(seed) then broadcast from rank 0
//   data order        Loader(seed, epoch) permutation, sharded by rank
//   text masking      per sample: mt19937_64(sample_seed(seed, epoch, record))   (collate.h)
//   ECG patch masking per sample: torch generator seeded sample_seed(seed^K, epoch, record)
//   dropout           global CPU generator re-seeded every step from (seed, rank, step)
// So the state a checkpoint must carry is: weights, AdamW moments, step, loader position.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/precision.h"
#include "train/distributed.h"

namespace cgdmer {

struct PretrainOptions {
  std::string config = "tiny";          // preset name or TOML path
  std::vector<std::string> overrides;   // "section.key=value"
  // Data. A resumed run takes these from its checkpoint: given again they must agree with it
  // (ConfigError otherwise), so a resume can never drift onto other records.
  std::vector<std::string> data;        // training stores, read as one (data/store_set.h);
                                        // --folds select within each store that has folds
  std::string val;                      // validation store ("" = none)
  std::vector<int> folds;               // train on these strat_folds only (empty = all)
  std::vector<int> val_folds;           // validate on these folds of --val (or of the first --data)
  std::string out;                      // run folder ("" = runs/<config name>-<time>)
  std::string resume;                   // run folder to continue ("" = fresh run)
  std::int64_t max_steps = -1;          // > 0 overrides train.max_steps
  int save_every = -1;                  // > 0 overrides train.save_every
  std::int64_t seed = -1;               // >= 0 overrides train.seed
  std::optional<Precision> precision;   // empty = the config's train.precision
  std::string device = "cpu";           // "cpu" | "cuda" (cuda:local_rank % devices)
  bool dry_run = false;
  bool show_progress = true;
  DistOptions dist;
  // Called on every rank after each optimizer step (tests: pacing, kill points).
  std::function<void(std::int64_t step)> after_step;
  // Fault injection (tests only): for a 1-based step where this returns true, this rank's
  // loss is made NaN after the forward and before backward — as a bf16 overflow or a bad
  // batch would — so the skip / stop-after-k-in-a-row path runs with NaN gradients.
  std::function<bool(std::int64_t step)> poison_loss_at;
};

struct StepRecord {
  std::int64_t step = 0;  // 1-based step that was just taken
  double loss = 0;
  bool skipped = false;
};

struct PretrainResult {
  std::string run_dir;
  std::int64_t first_step = 0, last_step = 0;  // steps run by this call: (first, last]
  std::vector<StepRecord> steps;
  double wall_s = 0, pairs_per_s = 0;
  bool bf16 = false;
};

PretrainResult run_pretrain(const PretrainOptions& opt);

}  // namespace cgdmer
