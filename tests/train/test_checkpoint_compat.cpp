// Checkpoints across LibTorch lines and devices: the committed fixture written by LibTorch
// 1.13 (tests/fixtures/checkpoint/, optimizer in torch's own archive) loads bit-exactly —
// every parameter and AdamW moment equal to its fingerprint — and a run resumes from it on
// this build; what this build writes holds the optimizer by position, as CPU tensors, and a
// checkpoint whose optimizer does not fit the model is refused naming the file.
#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/version.h>

#include "checkpoint_fingerprint.h"
#include "config/config.h"
#include "core/error.h"
#include "model/cgdmer_model.h"
#include "model/checkpoint_file.h"
#include "scratch_dir.h"
#include "tiny_run.h"
#include "train/checkpoint.h"
#include "train/engine.h"
#include "train/optim.h"

using namespace cgdmer;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtureDir = fs::path(CGDMER_SOURCE_DIR) / "tests/fixtures/checkpoint";
const std::string kFixture = "torch1.13.0_tiny_step2";

nlohmann::json fixture_fingerprint() {
  std::ifstream in(kFixtureDir / (kFixture + ".json"));
  EXPECT_TRUE(in.good()) << "missing " << (kFixtureDir / (kFixture + ".json"));
  return nlohmann::json::parse(in);
}

struct Loaded {
  CgDmer model{nullptr};
  std::unique_ptr<torch::optim::AdamW> opt;
  CheckpointMeta meta;
};

Loaded load(const std::string& path) {
  CheckpointReader reader(path);
  const Config cfg = Config::from_toml(reader.meta().config_toml, path);
  Loaded l;
  l.model = CgDmer(cfg);
  l.opt = make_adamw(*l.model, cfg.train.lr, cfg.train.weight_decay);
  reader.load(*l.model, l.opt.get(), cfg.model_hash());
  l.meta = reader.meta();
  return l;
}

}  // namespace

TEST(CheckpointCompat, Torch113FixtureLoadsBitExactly) {
  const auto want = fixture_fingerprint();
  ASSERT_EQ(want["torch_version"], "1.13.0");
  Loaded l = load((kFixtureDir / (kFixture + ".ckpt")).string());
  EXPECT_EQ(l.meta.torch_version, "1.13.0");
  const auto got = cgdmer::testing::adamw_fingerprint(*l.opt);
  ASSERT_EQ(got.size(), want["optimizer"].size());
  int with_state = 0;
  for (std::size_t g = 0; g < got.size(); ++g) {
    ASSERT_EQ(got[g].size(), want["optimizer"][g].size()) << "group " << g;
    for (std::size_t i = 0; i < got[g].size(); ++i) {
      EXPECT_EQ(got[g][i], want["optimizer"][g][i]) << "group " << g << " parameter " << i;
      with_state += got[g][i].contains("exp_avg");
    }
  }
  EXPECT_GT(with_state, 20);  // the moments really were read, not left empty
  for (const auto& kv : l.opt->state()) {
    const auto& st = static_cast<const torch::optim::AdamWParamState&>(*kv.second);
    EXPECT_EQ(st.step(), 2);
    EXPECT_TRUE(st.exp_avg().device().is_cpu());
  }
}

TEST(CheckpointCompat, RunResumesFromTorch113Checkpoint) {
  const fs::path run = cgdmer::testing::scratch_path("resume113");
  fs::remove_all(run);
  fs::create_directories(checkpoint_dir(run.string()));
  fs::copy_file(kFixtureDir / (kFixture + ".ckpt"), checkpoint_path(run.string(), 2));
  PretrainOptions o;
  o.resume = run.string();
  o.data = {cgdmer::testing::synthetic_store()};  // the same synthetic records it was trained on
  o.max_steps = 4;
  o.show_progress = false;
  const PretrainResult r = run_pretrain(o);
  EXPECT_EQ(r.first_step, 2);
  EXPECT_EQ(r.last_step, 4);
  ASSERT_EQ(r.steps.size(), 2u);
  for (const auto& s : r.steps) EXPECT_TRUE(std::isfinite(s.loss)) << "step " << s.step;

  // Written by this build: optimizer by position, steps advanced, every tensor on the CPU.
  Loaded l = load(latest_checkpoint(run.string()));
  EXPECT_EQ(train_state_of(l.meta).step, 4);
  EXPECT_EQ(l.meta.torch_version, TORCH_VERSION);
  ASSERT_FALSE(l.opt->state().empty());
  for (const auto& kv : l.opt->state()) {
    const auto& st = static_cast<const torch::optim::AdamWParamState&>(*kv.second);
    EXPECT_EQ(st.step(), 4);
    EXPECT_TRUE(st.exp_avg().device().is_cpu() && st.exp_avg_sq().device().is_cpu());
  }
}

TEST(CheckpointCompat, OptimizerOfAnotherShapeIsRefusedNamingTheFile) {
  // The fixture's optimizer loaded into an AdamW with one group less: a FormatError naming the
  // file and both group counts, never a crash or a silent partial load.
  const std::string path = (kFixtureDir / (kFixture + ".ckpt")).string();
  CheckpointReader reader(path);
  const Config cfg = Config::from_toml(reader.meta().config_toml, path);
  CgDmer model(cfg);
  torch::optim::AdamW one_group(model->parameters(), torch::optim::AdamWOptions(1e-3));
  try {
    reader.load(*model, &one_group, cfg.model_hash());
    FAIL() << "loaded an optimizer state of another shape";
  } catch (const FormatError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find("2 parameter groups"), std::string::npos) << what;
  }
}
