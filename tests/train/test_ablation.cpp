// `cgdmer ablate` end to end at toy scale on the embedded real sample (PTB-XL records at
// 100 Hz cut to 2 s): two variants × two seeds, two pretraining steps each, evaluated on fold 9
// (never pretrained on). Checks the table's structure and arithmetic — the full model's
// comparison with itself is exactly 0, mean/sd are those of the seed AUCs — and that a second
// call reuses the finished runs.
#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>

#include "model/checkpoint_file.h"
#include "scratch_dir.h"
#include "tiny_run.h"
#include "train/ablation.h"

using namespace cgdmer;
namespace fs = std::filesystem;

TEST(Ablation, TwoVariantsTwoSeedsOnTheSample) {
  const std::string root = cgdmer::testing::scratch_path("ablation");
  fs::remove_all(root);
  const std::string store = root + "/store";
  ASSERT_TRUE(cgdmer::testing::prepare_sample_store(store));

  AblationOptions o;
  o.base_config = "tiny";
  o.overrides = cgdmer::testing::tiny_overrides();
  o.overrides.push_back("text.vocab_size=30522");  // the store's MedCPT token ids
  o.variants = {"variant1"};  // full is added: the reference of every comparison
  o.seeds = 2;
  o.max_steps = 2;
  o.data = store;
  o.tasks = {"ptbxl_super"};
  o.ratios = {100};
  o.probe_epochs = 2;
  o.bootstrap_resamples = 50;
  o.precision = Precision::fp32;
  o.out = root + "/out";
  o.show_progress = false;
  const auto cells = run_ablation(o);
  ASSERT_EQ(cells.size(), 4u);  // {variant1, full} × {linear 100 %, zero-shot}
  int full_cells = 0;
  for (const auto& c : cells) {
    ASSERT_EQ(c.seed_auc.size(), 2u) << c.variant;
    EXPECT_NEAR(c.mean, (c.seed_auc[0] + c.seed_auc[1]) / 2, 1e-12);
    EXPECT_NEAR(c.sd, std::abs(c.seed_auc[0] - c.seed_auc[1]) / std::sqrt(2.0), 1e-12);
    EXPECT_LE(c.ci_low, c.ci_high);
    if (c.variant == "full") {
      ++full_cells;
      EXPECT_EQ(c.diff_vs_full, 0.0);
      EXPECT_EQ(c.diff_low, 0.0);
      EXPECT_EQ(c.p_not_above_full, 1.0);
    }
  }
  EXPECT_EQ(full_cells, 2);
  EXPECT_TRUE(fs::exists(o.out + "/ablation.md"));
  EXPECT_TRUE(fs::exists(o.out + "/ablation.json"));
  // Seeds differ: the two runs of a variant are not the same model.
  EXPECT_NE(cells[0].seed_auc[0], cells[0].seed_auc[1]);

  // A second call reuses the four finished runs (no checkpoint rewritten).
  const std::string ckpt = latest_checkpoint(o.out + "/runs/full-s1");
  ASSERT_FALSE(ckpt.empty());
  const auto before = fs::last_write_time(ckpt);
  const auto again = run_ablation(o);
  EXPECT_EQ(fs::last_write_time(ckpt), before);
  ASSERT_EQ(again.size(), cells.size());
  for (std::size_t i = 0; i < cells.size(); ++i) EXPECT_EQ(again[i].seed_auc, cells[i].seed_auc);
  fs::remove_all(root);
}
