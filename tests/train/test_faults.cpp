// Fault tests for long runs (issue 9, item 4), each on the tiniest CG-DMER and a 40-record
// synthetic store:
//   (1) disk full during a checkpoint save: a real full filesystem (a small tmpfs mounted on
//       the run's checkpoints/ folder) where mounting is permitted, else a per-file size
//       limit (RLIMIT_FSIZE → EFBIG); the save fails with an IoError naming the file and the
//       cause, the previous checkpoint is byte-identical, no temporary is left, and --resume
//       continues bit-identically once there is room again;
//   (2) a non-finite loss (injected with PretrainOptions::poison_loss_at): the step is
//       skipped (weights and AdamW state unchanged), logged and recorded, training goes on;
//       k in a row stop the run with a clear error and the last good checkpoint kept;
//   (3) a data-parallel peer SIGKILLed, or alive but stalled: the surviving rank exits with
//       a clear "distributed … failed or timed out" error within a bound instead of hanging;
//   (4) SIGKILL during `prepare`, then a resume: the store equals an uninterrupted one and
//       nothing half-written ever looks like a store.
// Child processes are this binary re-run with a gtest filter (spawn_self.h).
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "config/config.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "data/prepare.h"
#include "data/shard_store.h"
#include "model/cgdmer_model.h"
#include "model/compat.h"
#include "scratch_dir.h"
#include "spawn_self.h"
#include "tiny_run.h"
#include "train/checkpoint.h"
#include "train/engine.h"
#include "train/optim.h"

using namespace cgdmer;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

using cgdmer::testing::synthetic_store;

// The tiny model of test_engine.cpp, all loss terms on; keep_last high so the tests can
// compare the checkpoints before and after a skipped step.
PretrainOptions fault_run_options(const std::string& out) {
  PretrainOptions o;
  o.config = "tiny";
  o.overrides = cgdmer::testing::tiny_overrides();
  o.overrides.push_back("train.keep_last=20");  // later value wins over keep_last=2
  o.data = {synthetic_store()};
  o.out = out;
  o.seed = 5;
  o.precision = Precision::fp32;
  o.show_progress = false;
  return o;
}

fs::path temp_path(const std::string& name) {
  const fs::path d = cgdmer::testing::scratch_path(name);
  fs::remove_all(d);
  return d;
}

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

std::vector<std::string> file_names(const fs::path& dir) {
  std::vector<std::string> out;
  if (fs::is_directory(dir))
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::map<std::int64_t, nlohmann::json> metric_lines(const fs::path& run) {
  std::map<std::int64_t, nlohmann::json> m;
  std::ifstream in(run / "metrics.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    if (j.contains("skipped")) m[j["step"].get<std::int64_t>()] = j;
  }
  return m;
}

// Everything a checkpoint holds that an optimizer step changes: the weights and, per
// parameter, AdamW's exp_avg, exp_avg_sq and step count.
struct TrainedState {
  std::vector<torch::Tensor> params, moments;
  std::vector<std::int64_t> adam_steps;
};

TrainedState load_state(const std::string& ckpt) {
  const auto meta = read_checkpoint_meta(ckpt);
  const Config cfg = Config::from_toml(meta.config_toml, ckpt);
  CgDmer model(cfg);
  auto opt = make_adamw(*model, cfg.train.lr, cfg.train.weight_decay);
  load_checkpoint(ckpt, *model, opt.get(), cfg.model_hash());
  TrainedState s;
  for (const auto& p : model->parameters()) {
    s.params.push_back(p.detach().clone());
    auto it = opt->state().find(optimizer_state_key(p));
    if (it == opt->state().end()) continue;
    auto& st = static_cast<torch::optim::AdamWParamState&>(*it->second);
    s.moments.push_back(st.exp_avg().clone());
    s.moments.push_back(st.exp_avg_sq().clone());
    s.adam_steps.push_back(st.step());
  }
  return s;
}

bool same_tensors(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!torch::equal(a[i], b[i])) return false;
  return true;
}

// Bit-exact equality of everything a step changes.
void expect_same_state(const std::string& a, const std::string& b) {
  const auto sa = load_state(a), sb = load_state(b);
  ASSERT_FALSE(sa.params.empty());
  ASSERT_FALSE(sa.moments.empty()) << a << " has no AdamW state";
  EXPECT_TRUE(same_tensors(sa.params, sb.params)) << a << " vs " << b << ": weights differ";
  EXPECT_TRUE(same_tensors(sa.moments, sb.moments)) << a << " vs " << b << ": AdamW moments differ";
  EXPECT_EQ(sa.adam_steps, sb.adam_steps) << a << " vs " << b << ": AdamW step counts differ";
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Polls a child until it exits or `limit_s` passes; returns its wait_child() code, or
// nullopt (child still running) on timeout.
std::optional<int> wait_child_for(pid_t pid, double limit_s) {
  const auto t0 = Clock::now();
  while (seconds_since(t0) < limit_s) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return -WTERMSIG(status);
      return -1000;
    }
    if (r < 0) return -1000;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return std::nullopt;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// (1) Disk full during a checkpoint save.
// ---------------------------------------------------------------------------------------
namespace {

enum class DiskFull { kTmpfs, kFileSizeLimit };

// A tmpfs of `bytes` mounted on `dir` (unmounted, lazily, on destruction). ok() is false
// where mounting is not permitted (no CAP_SYS_ADMIN, e.g. an unprivileged container).
class TmpfsMount {
 public:
  TmpfsMount(const fs::path& dir, std::size_t bytes) : dir_(dir) {
    fs::create_directories(dir_);
    const std::string opts = "size=" + std::to_string(bytes) + ",mode=0700";
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, opts.c_str()) == 0) mounted_ = true;
    else error_ = std::strerror(errno);
  }
  ~TmpfsMount() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool ok() const { return mounted_; }
  const std::string& error() const { return error_; }
  // Grows the filesystem in place, contents kept: "the operator freed some space".
  bool resize(std::size_t bytes) {
    const std::string opts = "size=" + std::to_string(bytes) + ",mode=0700";
    return ::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, opts.c_str()) == 0;
  }

 private:
  fs::path dir_;
  bool mounted_ = false;
  std::string error_;
};

// RLIMIT_FSIZE lowered (soft limit only, so it can be raised back) with SIGXFSZ ignored: a
// write past the limit then fails with EFBIG instead of killing the process. Restored on
// destruction.
class FileSizeLimit {
 public:
  FileSizeLimit() {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
  }
  ~FileSizeLimit() { lift(); ::signal(SIGXFSZ, old_handler_); }
  void set(std::size_t bytes) {
    rlimit r = saved_;
    r.rlim_cur = rlim_t(bytes);
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &r), 0) << std::strerror(errno);
  }
  void lift() { ::setrlimit(RLIMIT_FSIZE, &saved_); }

 private:
  rlimit saved_{};
  void (*old_handler_)(int) = SIG_DFL;
};

std::size_t pages(std::size_t bytes) { return (bytes + 4095) / 4096 * 4096; }

// An uninterrupted 3-step run, a checkpoint after every step: the size of a checkpoint and
// the losses a resumed run must reproduce.
struct ReferenceRun {
  std::size_t ckpt_bytes = 0;
  std::vector<StepRecord> steps;
};
const ReferenceRun& reference_run() {
  static ReferenceRun ref;
  if (!ref.steps.empty()) return ref;
  const auto dir = temp_path("diskfull_ref");
  auto o = fault_run_options(dir.string());
  o.max_steps = 3;
  o.save_every = 1;
  ref.steps = run_pretrain(o).steps;
  ref.ckpt_bytes = fs::file_size(checkpoint_path(dir.string(), 1));
  fs::remove_all(dir);
  return ref;
}

void disk_full_scenario(DiskFull mechanism) {
  const ReferenceRun& ref = reference_run();
  ASSERT_EQ(ref.steps.size(), 3u);
  const std::size_t c = ref.ckpt_bytes;
  const auto run = temp_path(mechanism == DiskFull::kTmpfs ? "diskfull_tmpfs" : "diskfull_rlimit");
  const fs::path ckdir = checkpoint_dir(run.string());
  const std::string first = checkpoint_path(run.string(), 1);
  const std::string second = checkpoint_path(run.string(), 2);

  // tmpfs on checkpoints/: room for step-1 plus half of another checkpoint, so step-2's
  // save runs out of space in the middle of its payload (keep_last prunes only afterwards).
  std::unique_ptr<TmpfsMount> tmpfs;
  FileSizeLimit limit;
  std::string mech_text;
  if (mechanism == DiskFull::kTmpfs) {
    tmpfs = std::make_unique<TmpfsMount>(ckdir, pages(c) + pages(c / 2));
    if (!tmpfs->ok()) {
      mech_text = "RLIMIT_FSIZE (fallback: mounting a tmpfs failed: " + tmpfs->error() + ")";
      tmpfs.reset();
      mechanism = DiskFull::kFileSizeLimit;
    } else {
      mech_text = "tmpfs of " + std::to_string(pages(c) + pages(c / 2)) + " bytes on " +
                  ckdir.string();
    }
  } else {
    mech_text = "RLIMIT_FSIZE";
  }
  if (mechanism == DiskFull::kFileSizeLimit)
    mech_text += ": files limited to " + std::to_string(c / 2) + " bytes from step 2's save";
  std::printf("disk-full mechanism: %s (checkpoint %zu bytes)\n", mech_text.c_str(), c);
  ::testing::Test::RecordProperty("disk_full_mechanism", mech_text);

  auto o = fault_run_options(run.string());
  o.max_steps = 3;
  o.save_every = 1;
  std::string first_bytes;
  // Called after step 2's optimizer step, before its save: step-1 is complete by then.
  o.after_step = [&](std::int64_t s) {
    if (s != 2) return;
    first_bytes = read_file(first);
    if (mechanism == DiskFull::kFileSizeLimit) limit.set(c / 2);
  };
  std::string err;
  try {
    run_pretrain(o);
  } catch (const IoError& e) {
    err = e.what();
    EXPECT_TRUE(contains(e.hint(), "disk space")) << e.hint();
  }
  limit.lift();
  std::printf("save error: %s\n", err.c_str());
  ASSERT_FALSE(err.empty()) << "the save into a full filesystem did not fail";
  EXPECT_TRUE(contains(err, second)) << "the error does not name the file: " << err;
  if (mechanism == DiskFull::kTmpfs)
    EXPECT_TRUE(contains(err, "No space left on device")) << err;
  else
    EXPECT_TRUE(contains(err, "File too large")) << err;

  // The previous checkpoint: same bytes, valid, step 1; nothing else in the folder (the
  // temporary of the failed save is removed, never under a checkpoint name).
  ASSERT_FALSE(first_bytes.empty());
  EXPECT_EQ(file_names(ckdir), std::vector<std::string>{"step-00000001.ckpt"});
  EXPECT_EQ(read_file(first), first_bytes);
  EXPECT_EQ(train_state_of(read_checkpoint_meta(first)).step, 1);
  EXPECT_EQ(latest_checkpoint(run.string()), first);

  // Room again (the tmpfs grown in place, contents kept; or the limit lifted), then
  // --resume: continues from step 1 and reproduces the uninterrupted run bit for bit.
  if (tmpfs) {
    ASSERT_TRUE(tmpfs->resize(pages(c) * 8)) << std::strerror(errno);
  }
  auto ro = fault_run_options("");
  ro.resume = run.string();
  ro.max_steps = 3;
  ro.save_every = 1;
  const auto resumed = run_pretrain(ro);
  EXPECT_EQ(resumed.first_step, 1);
  ASSERT_EQ(resumed.steps.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) EXPECT_EQ(resumed.steps[i].loss, ref.steps[i + 1].loss);
  EXPECT_EQ(train_state_of(read_checkpoint_meta(latest_checkpoint(run.string()))).step, 3);
  tmpfs.reset();
  fs::remove_all(run);
}

}  // namespace

TEST(Faults, DiskFullDuringCheckpointSaveKeepsTheLastGoodCheckpoint) {
  disk_full_scenario(DiskFull::kTmpfs);  // falls back to RLIMIT_FSIZE where mount is refused
}

// The fallback mechanism, exercised everywhere (also where the tmpfs variant could mount).
TEST(Faults, FileSizeLimitDuringCheckpointSaveKeepsTheLastGoodCheckpoint) {
  disk_full_scenario(DiskFull::kFileSizeLimit);
}

// ---------------------------------------------------------------------------------------
// (2) Non-finite loss.
// ---------------------------------------------------------------------------------------

TEST(Faults, NonFiniteLossSkipsTheStepAndTrainingContinues) {
  const auto run = temp_path("nan_isolated");
  auto o = fault_run_options(run.string());
  o.max_steps = 6;
  o.save_every = 1;
  o.poison_loss_at = [](std::int64_t s) { return s == 3; };
  ::testing::internal::CaptureStderr();
  PretrainResult res;
  try {
    res = run_pretrain(o);
  } catch (...) {
    ::testing::internal::GetCapturedStderr();
    throw;
  }
  const std::string log = ::testing::internal::GetCapturedStderr();

  ASSERT_EQ(res.steps.size(), 6u);
  for (const auto& s : res.steps) {
    EXPECT_EQ(s.skipped, s.step == 3) << "step " << s.step;
    EXPECT_EQ(std::isfinite(s.loss), s.step != 3) << "step " << s.step << " loss " << s.loss;
  }
  EXPECT_TRUE(contains(log, "step=3 skipped: non-finite loss (1 in a row)")) << log;
  EXPECT_FALSE(contains(log, "step=4 skipped"));
  const auto metrics = metric_lines(run);
  ASSERT_EQ(metrics.size(), 6u);
  EXPECT_TRUE(metrics.at(3)["skipped"].get<bool>());
  EXPECT_TRUE(metrics.at(3)["loss"].is_null());
  EXPECT_FALSE(metrics.at(4)["skipped"].get<bool>());
  EXPECT_TRUE(metrics.at(4)["loss"].is_number());

  // The skipped step left weights and AdamW state exactly as step 2 left them (the NaN
  // gradients never reached them); step 4 trained again.
  const std::string c2 = checkpoint_path(run.string(), 2), c3 = checkpoint_path(run.string(), 3),
                    c4 = checkpoint_path(run.string(), 4);
  expect_same_state(c2, c3);
  EXPECT_EQ(train_state_of(read_checkpoint_meta(c3)).bad_steps_in_row, 1);
  EXPECT_EQ(train_state_of(read_checkpoint_meta(c4)).bad_steps_in_row, 0);
  const auto s3 = load_state(c3), s4 = load_state(c4);
  EXPECT_FALSE(same_tensors(s3.params, s4.params)) << "step 4 did not update the weights";
  EXPECT_EQ(s4.adam_steps.front(), s3.adam_steps.front() + 1);
  EXPECT_EQ(s3.adam_steps.front(), 2);  // steps 1 and 2 only
  fs::remove_all(run);
}

TEST(Faults, NonFiniteLossesInARowStopTheRunKeepingTheLastGoodCheckpoint) {
  const auto run = temp_path("nan_stop");
  auto o = fault_run_options(run.string());
  o.overrides.push_back("train.max_bad_steps=3");
  o.max_steps = 12;
  o.save_every = 2;
  // An isolated bad step 2 (the count is of bad steps in a row: it must not add up with the
  // later ones), then bad from step 5 on: 5, 6, 7 → stop at step 7.
  o.poison_loss_at = [](std::int64_t s) { return s == 2 || s >= 5; };
  std::string err, hint;
  ::testing::internal::CaptureStderr();
  try {
    run_pretrain(o);
  } catch (const Error& e) {
    err = e.what();
    hint = e.hint();
  }
  const std::string log = ::testing::internal::GetCapturedStderr();
  std::printf("run error: %s (hint: %s)\n", err.c_str(), hint.c_str());
  ASSERT_FALSE(err.empty()) << "the run did not stop";
  EXPECT_TRUE(contains(err, "3 consecutive steps with a non-finite loss")) << err;
  EXPECT_TRUE(contains(err, "at step 7")) << err;
  EXPECT_FALSE(hint.empty());
  EXPECT_TRUE(contains(log, "step=2 skipped: non-finite loss (1 in a row)"));
  EXPECT_TRUE(contains(log, "step=7 skipped: non-finite loss (3 in a row)"));
  EXPECT_FALSE(contains(log, "step=8"));

  const auto metrics = metric_lines(run);
  ASSERT_EQ(metrics.size(), 7u);  // every step up to the stop, bad ones included
  for (const auto& [step, j] : metrics)
    EXPECT_EQ(j["skipped"].get<bool>(), step == 2 || step >= 5) << "step " << step;

  // Checkpoints 2, 4, 6 (none after the stop). The last good state is step 4's; step 6's
  // checkpoint, written after two skipped steps, holds exactly that state.
  const auto cks = list_checkpoints(run.string());
  ASSERT_EQ(cks.size(), 3u);
  EXPECT_EQ(cks.back(), checkpoint_path(run.string(), 6));
  expect_same_state(checkpoint_path(run.string(), 4), checkpoint_path(run.string(), 6));
  EXPECT_EQ(train_state_of(read_checkpoint_meta(cks.back())).bad_steps_in_row, 2);
  EXPECT_EQ(load_state(cks.back()).adam_steps.front(), 3);  // steps 1, 3, 4 were taken
  EXPECT_TRUE(file_names(checkpoint_dir(run.string())) ==
              (std::vector<std::string>{"step-00000002.ckpt", "step-00000004.ckpt",
                                        "step-00000006.ckpt"}));

  // Once the cause is gone, --resume continues from the kept checkpoint.
  auto ro = fault_run_options("");
  ro.resume = run.string();
  ro.max_steps = 8;
  const auto resumed = run_pretrain(ro);
  EXPECT_EQ(resumed.first_step, 6);
  ASSERT_EQ(resumed.steps.size(), 2u);
  for (const auto& s : resumed.steps) EXPECT_FALSE(s.skipped || !std::isfinite(s.loss));
  fs::remove_all(run);
}

// ---------------------------------------------------------------------------------------
// (3) A data-parallel peer killed or stalled.
// ---------------------------------------------------------------------------------------

// A rank of Faults.KilledPeer* and Faults.StalledPeer*: rank 1 announces step 3 (a marker
// file) and then sleeps; rank 0 records the error that ends its run.
TEST(FaultsWorker, DISABLED_DataParallelRank) {
  const char* rank_s = std::getenv("CGDMER_TEST_FAULTS_RANK");
  ASSERT_NE(rank_s, nullptr) << "a worker body: run only by spawn_self(), which sets its environment";
  const int rank = std::atoi(rank_s);
  const std::string dir = std::getenv("CGDMER_TEST_FAULTS_DIR");
  auto o = fault_run_options(dir + "/run");
  o.overrides.push_back("text.dropout=0.0");
  o.max_steps = 1000;  // never reached
  o.save_every = 1000;
  o.dist.rank = rank;
  o.dist.world_size = 2;
  o.dist.master_port = std::atoi(std::getenv("CGDMER_TEST_FAULTS_PORT"));
  o.dist.timeout_s = std::atof(std::getenv("CGDMER_TEST_FAULTS_TIMEOUT"));
  if (rank == 1)
    o.after_step = [dir](std::int64_t s) {
      if (s < 3) return;
      write_text(dir + "/rank1_at_step3", "3");
      std::this_thread::sleep_for(std::chrono::seconds(300));
    };
  try {
    run_pretrain(o);
    write_text(dir + "/rank" + std::to_string(rank) + ".result", "finished without error");
  } catch (const std::exception& e) {
    write_text(dir + "/rank" + std::to_string(rank) + ".result", e.what());
  }
}

namespace {

enum class PeerFault { kKilled, kStalled };

// Two ranks; rank 1 stops after step 3 (asleep in after_step, rank 0 waiting in step 4's
// all-gather). kKilled: SIGKILL it at once; kStalled: leave it alive and silent, so only the
// collective timeout can end rank 0's wait. Either way rank 0 must exit on its own within
// the bound with an error naming the collective.
void peer_fault_scenario(PeerFault fault, int timeout_s) {
  const auto dir = temp_path(fault == PeerFault::kKilled ? "ddp_kill" : "ddp_stall");
  fs::create_directories(dir);
  const int port = cgdmer::testing::free_port_guess() + (fault == PeerFault::kKilled ? 2 : 3);
  auto spawn_rank = [&](int rank) {
    return cgdmer::testing::spawn_self(
        "FaultsWorker.DISABLED_DataParallelRank",
        {"CGDMER_TEST_FAULTS_RANK=" + std::to_string(rank),
         "CGDMER_TEST_FAULTS_DIR=" + dir.string(),
         "CGDMER_TEST_FAULTS_PORT=" + std::to_string(port),
         "CGDMER_TEST_FAULTS_TIMEOUT=" + std::to_string(timeout_s),
         "CGDMER_TEST_STORE=" + synthetic_store()});
  };
  const pid_t r0 = spawn_rank(0), r1 = spawn_rank(1);
  ASSERT_GT(r0, 0);
  ASSERT_GT(r1, 0);
  auto stop_both = [&] {
    ::kill(r0, SIGKILL);
    ::kill(r1, SIGKILL);
    cgdmer::testing::wait_child(r0);
    cgdmer::testing::wait_child(r1);
  };
  const auto t0 = Clock::now();
  while (!fs::exists(dir / "rank1_at_step3")) {
    if (seconds_since(t0) > 120 || waitpid(r1, nullptr, WNOHANG) != 0) {
      stop_both();
      FAIL() << "rank 1 did not reach step 3";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto t_fault = Clock::now();
  if (fault == PeerFault::kKilled) {
    ::kill(r1, SIGKILL);
    EXPECT_EQ(cgdmer::testing::wait_child(r1), -SIGKILL);
  }
  // Bound: the collective timeout plus generous slack for a loaded machine.
  const double bound_s = timeout_s + 20;
  const auto rc0 = wait_child_for(r0, bound_s);
  const double took = seconds_since(t_fault);
  if (!rc0) {
    stop_both();
    FAIL() << "rank 0 still running " << bound_s << " s after its peer "
           << (fault == PeerFault::kKilled ? "was killed" : "stalled") << " (hang)";
  }
  if (fault == PeerFault::kStalled) {
    ::kill(r1, SIGKILL);
    cgdmer::testing::wait_child(r1);
  }
  EXPECT_EQ(*rc0, 0) << "rank 0 did not exit cleanly (crash or abort instead of an error)";
  ASSERT_TRUE(fs::exists(dir / "rank0.result"));
  const std::string err = read_file((dir / "rank0.result").string());
  std::printf("rank 0 exited %.2f s after rank 1 %s: %s\n", took,
              fault == PeerFault::kKilled ? "was killed" : "stalled", err.c_str());
  EXPECT_TRUE(contains(err, "distributed ")) << err;
  EXPECT_TRUE(contains(err, "failed") || contains(err, "timed out")) << err;
  EXPECT_LT(took, bound_s);
  if (fault == PeerFault::kStalled) {
    // Nothing but the timeout can have ended the wait: not before it, and it is named.
    EXPECT_GE(took, 0.9 * timeout_s);
    EXPECT_TRUE(contains(err, "timeout " + std::to_string(timeout_s) + " s")) << err;
  }
  fs::remove_all(dir);
}

}  // namespace

// Gloo usually sees the dead peer's closed socket at once ("Connection closed by peer").
TEST(Faults, KilledPeerMakesTheOtherRankExitWithAClearError) {
  peer_fault_scenario(PeerFault::kKilled, 10);
}

// A peer that is alive but silent (hung, stopped): the collective timeout ends the wait.
TEST(Faults, StalledPeerMakesTheOtherRankTimeOut) {
  peer_fault_scenario(PeerFault::kStalled, 5);
}

// ---------------------------------------------------------------------------------------
// (4) SIGKILL during prepare, then resume.
// ---------------------------------------------------------------------------------------
namespace {

const std::string kSample = std::string(CGDMER_SOURCE_DIR) + "/data/sample";

PrepareOptions sample_prepare(const std::string& out) {
  PrepareOptions o;
  o.dataset = "ptbxl";
  o.src = kSample + "/ptbxl";
  o.out = out;
  o.rate = 100;
  o.jobs = 1;
  o.progress = false;
  return o;
}

}  // namespace

TEST(FaultsWorker, DISABLED_PrepareUntilKilled) {
  const char* out = std::getenv("CGDMER_TEST_FAULTS_PREPARE_OUT");
  ASSERT_NE(out, nullptr) << "a worker body: run only by spawn_self(), which sets its environment";
  prepare_dataset(sample_prepare(out));
}

TEST(Faults, KillDuringPrepareThenResumeGivesTheSameStore) {
  const auto ref = temp_path("prep_ref");
  const auto ref_summary = prepare_dataset(sample_prepare(ref.string()));
  ASSERT_TRUE(ref_summary.complete);
  ASSERT_GT(ref_summary.records_written, 100);
  const auto out = temp_path("prep_killed");
  // A record is 12 leads × 1000 samples of int16 at 100 Hz; kill once about a third of the
  // records are in the partial signal file, so the kill lands in the middle of the run.
  const std::uintmax_t kill_at = std::uintmax_t(ref_summary.records_written) / 3 * 12 * 1000 * 2;
  const fs::path partial = out / "signals.bin.partial";
  int mid_run_kills = 0;
  for (int attempt = 0; attempt < 4 && mid_run_kills == 0; ++attempt) {
    fs::remove_all(out);
    const pid_t child = cgdmer::testing::spawn_self(
        "FaultsWorker.DISABLED_PrepareUntilKilled", {"CGDMER_TEST_FAULTS_PREPARE_OUT=" + out.string()});
    ASSERT_GT(child, 0);
    const auto t0 = Clock::now();
    bool finished = false;
    while (true) {
      std::error_code ec;
      const auto n = fs::file_size(partial, ec);
      if (!ec && n >= kill_at) break;
      if (waitpid(child, nullptr, WNOHANG) == child) {
        finished = true;  // ran to the end before we saw it mid-run: try again
        break;
      }
      ASSERT_LT(seconds_since(t0), 120.0);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (finished) continue;
    ::kill(child, SIGKILL);
    ASSERT_EQ(cgdmer::testing::wait_child(child), -SIGKILL);
    if (!fs::exists(out / "store.json")) ++mid_run_kills;
  }
  ASSERT_GT(mid_run_kills, 0) << "prepare always finished before it could be killed";

  // Nothing half-written looks like a store: no store.json / signals.bin / meta.jsonl, and
  // opening the folder is refused.
  const auto left = file_names(out);
  std::string left_s;
  for (const auto& f : left) left_s += f + " ";
  std::printf("left by the killed prepare: %s(%ju bytes of signals)\n", left_s.c_str(),
              fs::file_size(partial));
  for (const char* f : {"store.json", "signals.bin", "meta.jsonl"})
    EXPECT_FALSE(fs::exists(out / f)) << f << " visible after the kill";
  EXPECT_THROW(ShardStore::open(out.string()), FormatError);

  // The same command again resumes and produces the uninterrupted run's store, byte for byte.
  const auto resumed = prepare_dataset(sample_prepare(out.string()));
  EXPECT_TRUE(resumed.complete);
  EXPECT_TRUE(resumed.resumed);
  EXPECT_EQ(resumed.records_seen, ref_summary.records_seen);
  EXPECT_EQ(resumed.records_written, ref_summary.records_written);
  for (const char* f : {"signals.bin", "meta.jsonl", "store.json"})
    EXPECT_EQ(read_file((out / f).string()), read_file((ref / f).string())) << f;
  EXPECT_FALSE(fs::exists(partial));
  EXPECT_EQ(ShardStore::open(out.string()).size(), ref_summary.records_written);
  fs::remove_all(ref);
  fs::remove_all(out);
}
