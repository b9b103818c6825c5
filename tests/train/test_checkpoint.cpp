// Checkpoint files: round trip of model + AdamW state + meta (the next step after loading is
// bit-identical to the next step without saving), refusal of truncated/corrupted files and
// of another model configuration, keep-last-k pruning, best marking, and no partial file
// under the final name when the writer is killed (SIGKILL) during a save.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "spawn_self.h"
#include "train/checkpoint.h"
#include "train/optim.h"

using namespace cgdmer;
namespace fs = std::filesystem;

namespace {

struct Net : torch::nn::Module {
  explicit Net(int width = 8) {
    a = register_module("a", torch::nn::Linear(4, width));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})));
    b = register_module("b", torch::nn::Linear(width, 1));
  }
  torch::Tensor forward(const torch::Tensor& x) { return b(torch::gelu(norm(a(x)))); }
  torch::nn::Linear a{nullptr}, b{nullptr};
  torch::nn::LayerNorm norm{nullptr};
};

fs::path temp_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("cgdmer_test_ckpt_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

double train_step(Net& net, torch::optim::Optimizer& opt, int i) {
  torch::manual_seed(1000 + i);
  auto x = torch::randn({16, 4});
  auto y = x.sum(1, true).sin();
  opt.zero_grad();
  auto loss = torch::mse_loss(net.forward(x), y);
  loss.backward();
  opt.step();
  return loss.item<double>();
}

CheckpointMeta meta_for(const std::string& hash, std::int64_t step) {
  CheckpointMeta m;
  m.config_toml = "name = \"toy\"\n";
  m.model_hash = hash;
  m.store_version = 1;
  m.store_hash = "abc";
  m.store_records = 10;
  m.state.step = step;
  m.state.epoch = 2;
  m.state.loader = {2, 7};
  m.state.text_rng_state = "1 2 3";
  return m;
}

}  // namespace

TEST(Checkpoint, RoundTripContinuesBitIdentically) {
  auto dir = temp_dir("rt");
  torch::manual_seed(0);
  Net net;
  auto opt = make_adamw(net, 1e-2, 0.01);
  for (int i = 0; i < 3; ++i) train_step(net, *opt, i);
  const std::string path = (dir / "c.ckpt").string();
  save_checkpoint(path, net, opt.get(), meta_for("h1", 3), torch::tensor({5, 6}));

  torch::manual_seed(123);  // a different init that loading must overwrite
  Net net2;
  auto opt2 = make_adamw(net2, 1e-2, 0.01);
  torch::Tensor rng;
  auto meta = load_checkpoint(path, net2, opt2.get(), "h1", &rng);
  EXPECT_EQ(meta.state.step, 3);
  EXPECT_EQ(meta.state.loader.epoch, 2);
  EXPECT_EQ(meta.state.loader.next_batch, 7);
  EXPECT_EQ(meta.state.text_rng_state, "1 2 3");
  EXPECT_EQ(meta.store_hash, "abc");
  EXPECT_FALSE(std::isfinite(meta.state.best_val));
  EXPECT_TRUE(torch::equal(rng, torch::tensor({5, 6})));
  for (int i = 3; i < 6; ++i) {
    const double l1 = train_step(net, *opt, i), l2 = train_step(net2, *opt2, i);
    EXPECT_EQ(l1, l2) << "step " << i;  // exact: same state, same ops
  }
  fs::remove_all(dir);
}

TEST(Checkpoint, TruncatedCorruptedAndForeignAreRefused) {
  auto dir = temp_dir("bad");
  Net net;
  auto opt = make_adamw(net, 1e-3, 0.0);
  const std::string path = (dir / "c.ckpt").string();
  save_checkpoint(path, net, opt.get(), meta_for("hash-A", 1));
  std::string raw = read_file(path);

  // Another configuration.
  try {
    load_checkpoint(path, net, opt.get(), "hash-B");
    FAIL() << "foreign checkpoint accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("another model configuration"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("hash-A"), std::string::npos);
  }
  // Truncated.
  const std::string cut = (dir / "cut.ckpt").string();
  std::ofstream(cut, std::ios::binary).write(raw.data(), std::streamsize(raw.size() / 2));
  try {
    read_checkpoint_meta(cut);
    FAIL() << "truncated checkpoint accepted";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("cut.ckpt"), std::string::npos);
  }
  // One flipped byte in the payload.
  const std::string flip = (dir / "flip.ckpt").string();
  std::string bad = raw;
  bad[bad.size() / 2] ^= 0x5a;
  std::ofstream(flip, std::ios::binary).write(bad.data(), std::streamsize(bad.size()));
  EXPECT_THROW(load_checkpoint(flip, net, opt.get(), ""), FormatError);
  // Not a checkpoint at all.
  const std::string junk = (dir / "junk.ckpt").string();
  std::ofstream(junk) << "hello";
  EXPECT_THROW(read_checkpoint_meta(junk), FormatError);
  // Wrong shapes under the same (empty = unchecked) hash: a clear FormatError, not a crash.
  Net wide(16);
  EXPECT_THROW(load_checkpoint(path, wide, nullptr, ""), FormatError);
  fs::remove_all(dir);
}

TEST(Checkpoint, KeepLastKAndBest) {
  auto dir = temp_dir("keep");
  Net net;
  for (int s : {10, 20, 30, 40}) save_checkpoint(checkpoint_path(dir.string(), s), net, nullptr, meta_for("h", s));
  std::ofstream(checkpoint_path(dir.string(), 50) + ".tmp.999") << "partial";
  EXPECT_EQ(list_checkpoints(dir.string()).size(), 4u);
  mark_best_checkpoint(dir.string(), checkpoint_path(dir.string(), 20));
  prune_checkpoints(dir.string(), 2);
  auto left = list_checkpoints(dir.string());
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0], checkpoint_path(dir.string(), 30));
  EXPECT_EQ(latest_checkpoint(dir.string()), checkpoint_path(dir.string(), 40));
  EXPECT_FALSE(fs::exists(checkpoint_path(dir.string(), 50) + ".tmp.999"));
  // best survives pruning of its step file
  EXPECT_EQ(read_checkpoint_meta(best_checkpoint_path(dir.string())).state.step, 20);
  fs::remove_all(dir);
}

// Child: saves a ~40 MB checkpoint over and over under one final name until killed.
TEST(CheckpointWorker, SaveForever) {
  const char* path = std::getenv("CGDMER_TEST_SAVE_LOOP");
  if (!path) GTEST_SKIP() << "helper process of Checkpoint.KillDuringSaveLeavesNoPartialFile";
  Net net(2500);  // 4·2500 + 2500² ≈ 6.3 M params
  for (std::int64_t s = 1;; ++s) save_checkpoint(path, net, nullptr, meta_for("h", s));
}

TEST(Checkpoint, KillDuringSaveLeavesNoPartialFile) {
  auto dir = temp_dir("kill");
  const std::string path = (dir / "c.ckpt").string();
  int mid_save_kills = 0;
  for (int attempt = 0; attempt < 4 && mid_save_kills == 0; ++attempt) {
    pid_t child = cgdmer::testing::spawn_self("CheckpointWorker.SaveForever",
                                              {"CGDMER_TEST_SAVE_LOOP=" + path});
    ASSERT_GT(child, 0);
    // Wait for the first complete file, then for a save in progress, then SIGKILL.
    auto t0 = std::chrono::steady_clock::now();
    auto has_tmp = [&] {
      for (auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().find(".tmp.") != std::string::npos) return true;
      return false;
    };
    while (!fs::exists(path) || !has_tmp()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      ASSERT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(60));
    }
    ::kill(child, SIGKILL);
    EXPECT_EQ(cgdmer::testing::wait_child(child), -SIGKILL);
    if (has_tmp()) ++mid_save_kills;
    // Whatever is under the final name is complete and valid.
    EXPECT_NO_THROW(read_checkpoint_meta(path));
  }
  EXPECT_GT(mid_save_kills, 0) << "never managed to kill the writer during a save";
  fs::remove_all(dir);
}
