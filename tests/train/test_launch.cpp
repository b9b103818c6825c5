// Launching a distributed pretraining the way clusters do: the rank, world size, local rank and
// rendezvous read from torchrun's, SLURM's or cgdmer --nproc's environment variables
// (train/launch_env.h), with clear errors for missing or malformed values; and two `cgdmer
// pretrain` processes started with torchrun-style variables (what `torchrun --nproc-per-node 2`
// exports) train exactly as `cgdmer pretrain --nproc 2` does: same checkpoint, bit for bit.
#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "core/error.h"
#include "config/config.h"
#include "model/cgdmer_model.h"
#include "model/checkpoint_file.h"
#include "scratch_dir.h"
#include "spawn_self.h"
#include "tiny_run.h"
#include "train/checkpoint.h"
#include "train/launch_env.h"

using namespace cgdmer;
namespace fs = std::filesystem;

namespace {

LaunchEnv from(const std::map<std::string, std::string>& vars) {
  return launch_from_environment([&vars](const char* n) -> const char* {
    const auto it = vars.find(n);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

std::string error_of(const std::map<std::string, std::string>& vars) {
  try {
    from(vars);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

std::vector<std::string> pretrain_args(const std::string& out) {
  std::vector<std::string> a{"pretrain", "--config", "tiny", "--data", cgdmer::testing::synthetic_store(),
                             "--out", out, "--max-steps", "3", "--seed", "5", "--precision", "fp32",
                             "--no-progress", "--dist-timeout", "60"};
  for (const auto& s : cgdmer::testing::tiny_overrides()) a.insert(a.end(), {"--set", s});
  return a;
}

}  // namespace

TEST(LaunchEnv, NoLauncherIsOneProcess) {
  const LaunchEnv l = from({});
  EXPECT_EQ(l.launcher, "none");
  EXPECT_EQ(l.world_size, 1);
}

TEST(LaunchEnv, TorchrunSlurmAndNprocVariables) {
  LaunchEnv l = from({{"RANK", "5"}, {"WORLD_SIZE", "8"}, {"LOCAL_RANK", "1"}, {"MASTER_ADDR", "node3"},
                      {"MASTER_PORT", "29501"}});
  EXPECT_EQ(l.launcher, "torchrun");
  EXPECT_EQ(l.rank, 5);
  EXPECT_EQ(l.world_size, 8);
  EXPECT_EQ(l.local_rank, 1);
  EXPECT_EQ(l.master_addr, "node3");
  EXPECT_EQ(l.master_port, 29501);
  l = from({{"SLURM_PROCID", "3"}, {"SLURM_NTASKS", "4"}, {"SLURM_LOCALID", "3"}, {"MASTER_ADDR", "10.0.0.2"},
            {"MASTER_PORT", "12345"}});
  EXPECT_EQ(l.launcher, "slurm");
  EXPECT_EQ(l.rank, 3);
  EXPECT_EQ(l.local_rank, 3);
  EXPECT_EQ(l.master_addr, "10.0.0.2");
  // A --nproc child wins over the torchrun variables it inherited.
  l = from({{"CGDMER_RANK", "1"}, {"CGDMER_WORLD_SIZE", "2"}, {"CGDMER_MASTER_PORT", "29600"}, {"RANK", "7"},
            {"WORLD_SIZE", "8"}});
  EXPECT_EQ(l.launcher, "cgdmer --nproc");
  EXPECT_EQ(l.rank, 1);
  EXPECT_EQ(l.local_rank, 1);
  EXPECT_EQ(l.master_port, 29600);
  // A single-task SLURM job needs no rendezvous.
  EXPECT_EQ(from({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "1"}}).world_size, 1);
}

TEST(LaunchEnv, BadValuesNameTheVariable) {
  EXPECT_NE(error_of({{"RANK", "x"}, {"WORLD_SIZE", "2"}}).find("RANK='x' is not an integer"), std::string::npos);
  EXPECT_NE(error_of({{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "1"}})
                .find("RANK 2 is not below the world size 2"),
            std::string::npos);
  EXPECT_NE(error_of({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}, {"MASTER_PORT", "1"}}).find("MASTER_ADDR is not set"),
            std::string::npos);
  EXPECT_NE(error_of({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}}).find("MASTER_PORT is not set"),
            std::string::npos);
  EXPECT_NE(error_of({{"CGDMER_RANK", "0"}, {"CGDMER_WORLD_SIZE", "0"}, {"CGDMER_MASTER_PORT", "1"}})
                .find("CGDMER_WORLD_SIZE='0'"),
            std::string::npos);
}

TEST(Launch, TorchrunVariablesTrainLikeNproc) {
  const std::string torchrun = cgdmer::testing::scratch_path("launch_torchrun");
  const std::string nproc = cgdmer::testing::scratch_path("launch_nproc");
  fs::remove_all(torchrun);
  fs::remove_all(nproc);
  const int port = cgdmer::testing::free_port_guess() + 7;
  std::vector<pid_t> ranks;
  for (int r = 0; r < 2; ++r)
    ranks.push_back(cgdmer::testing::spawn_program(CGDMER_BINARY, pretrain_args(torchrun),
                                 {"RANK=" + std::to_string(r), "WORLD_SIZE=2", "LOCAL_RANK=" + std::to_string(r),
                                  "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + std::to_string(port)}));
  for (pid_t p : ranks) {
    ASSERT_GT(p, 0);
    EXPECT_EQ(cgdmer::testing::wait_child(p), 0);
  }
  auto args = pretrain_args(nproc);
  args.insert(args.end(), {"--nproc", "2", "--master-port", std::to_string(port + 1)});
  const pid_t launcher = cgdmer::testing::spawn_program(CGDMER_BINARY, args, {});
  ASSERT_GT(launcher, 0);
  ASSERT_EQ(cgdmer::testing::wait_child(launcher), 0);

  const std::string a = latest_checkpoint(torchrun), b = latest_checkpoint(nproc);
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  const TrainState sa = train_state_of(read_checkpoint_meta(a)), sb = train_state_of(read_checkpoint_meta(b));
  EXPECT_EQ(sa.world_size, 2);
  EXPECT_EQ(sa.step, 3);
  EXPECT_EQ(sb.world_size, 2);
  // The same two-rank training: identical weights.
  CheckpointReader ra(a), rb(b);
  const Config cfg = Config::from_toml(ra.meta().config_toml, a);
  CgDmer ma(cfg, CgDmerImpl::InitialWeights::none_pretrained), mb(cfg, CgDmerImpl::InitialWeights::none_pretrained);
  ra.load(*ma, nullptr, "");
  rb.load(*mb, nullptr, "");
  const auto pb = mb->named_parameters();
  for (const auto& kv : ma->named_parameters()) EXPECT_TRUE(torch::equal(kv.value(), pb[kv.key()])) << kv.key();
  fs::remove_all(torchrun);
  fs::remove_all(nproc);
}
