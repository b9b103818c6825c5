// Writes the checkpoint compatibility fixture (tests/fixtures/checkpoint/): a real 2-step
// pretraining run of the tiny test model on the synthetic store (tiny_run.h), whose step-2
// checkpoint is re-saved with the optimizer in torch's own archive — the layout cgdmer wrote
// before 2026-12 — plus a JSON fingerprint of every parameter and AdamW moment.
// Run it on the LibTorch 1.13 line, so that the fixture is what 1.13 wrote:
//   ./build/make_checkpoint_fixture tests/fixtures/checkpoint
// test_checkpoint_compat.cpp then loads and resumes it on whichever line it is built.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <torch/version.h>

#include "checkpoint_fingerprint.h"
#include "config/config.h"
#include "model/cgdmer_model.h"
#include "model/checkpoint_file.h"
#include "tiny_run.h"
#include "train/engine.h"
#include "train/optim.h"

namespace fs = std::filesystem;
using namespace cgdmer;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const fs::path out = argv[1];
  const fs::path run = fs::temp_directory_path() / "cgdmer_checkpoint_fixture_run";
  fs::remove_all(run);
  PretrainOptions o;
  o.config = "tiny";
  o.overrides = cgdmer::testing::tiny_overrides();
  o.data = {cgdmer::testing::synthetic_store()};
  o.out = run.string();
  o.seed = 5;
  o.max_steps = 2;
  o.precision = Precision::fp32;
  o.show_progress = false;
  run_pretrain(o);

  CheckpointReader reader(latest_checkpoint(run.string()));
  const Config cfg = Config::from_toml(reader.meta().config_toml, reader.path());
  CgDmer model(cfg);
  auto opt = make_adamw(*model, cfg.train.lr, cfg.train.weight_decay);
  torch::Tensor rng;
  reader.load(*model, opt.get(), cfg.model_hash(), &rng);

  fs::create_directories(out);
  const std::string name = std::string("torch") + TORCH_VERSION + "_tiny_step2";
  save_checkpoint((out / (name + ".ckpt")).string(), *model, opt.get(), reader.meta(), rng,
                  OptimizerLayout::torch_archive);
  nlohmann::json j{{"torch_version", TORCH_VERSION},
                   {"step", 2},
                   {"optimizer", cgdmer::testing::adamw_fingerprint(*opt)}};
  std::ofstream((out / (name + ".json")).string()) << j.dump(1) << "\n";
  fs::remove_all(run);
  std::printf("wrote %s.ckpt and %s.json in %s\n", name.c_str(), name.c_str(), out.c_str());
  return 0;
}
