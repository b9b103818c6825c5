// `cgdmer pretrain`: flags → PretrainOptions → run_pretrain (src/train/engine.h).
// `--nproc N` re-executes this binary N times with CGDMER_RANK/CGDMER_WORLD_SIZE/
// CGDMER_MASTER_PORT set (Gloo on loopback) and waits for all of them; rank 0 writes.
// Under torchrun or SLURM the rank, world size, local rank and rendezvous come from their
// environment variables (train/launch_env.h); --rank/--world-size override them.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "command.h"
#include "core/error.h"
#include "train/engine.h"
#include "train/launch_env.h"

extern char** environ;

namespace cgdmer::cli::cmd_pretrain {  // one namespace per command: apps/cgdmer builds as a unity build
namespace {

struct Flags {
  PretrainOptions o;
  int nproc = 1;
  int rank = -1, world = -1, local_rank = -1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  bool no_progress = false;
};

int launch_local(int nproc, int port) {
  // Re-run the exact command line; the children see the rank variables and skip this branch.
  std::vector<std::string> args;
  {
    FILE* f = std::fopen("/proc/self/cmdline", "rb");
    if (!f) throw Error("cannot read /proc/self/cmdline to spawn ranks");
    std::string cur;
    for (int c; (c = std::fgetc(f)) != EOF;) {
      if (c == 0) {
        args.push_back(cur);
        cur.clear();
      } else {
        cur.push_back(char(c));
      }
    }
    std::fclose(f);
  }
  std::vector<pid_t> pids;
  for (int r = 0; r < nproc; ++r) {
    std::vector<std::string> env{"CGDMER_RANK=" + std::to_string(r),
                                 "CGDMER_WORLD_SIZE=" + std::to_string(nproc),
                                 "CGDMER_MASTER_PORT=" + std::to_string(port)};
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid;
    if (posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv.data(), envp.data()) != 0)
      throw Error("cannot spawn rank " + std::to_string(r));
    pids.push_back(pid);
  }
  int rc = 0;
  for (std::size_t r = 0; r < pids.size(); ++r) {
    int st = 0;
    waitpid(pids[r], &st, 0);
    const int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (code != 0) {
      std::fprintf(stderr, "rank %zu exited with status %d\n", r, code);
      rc = rc ? rc : code;
    }
  }
  return rc;
}

int run(Flags& f) {
  const LaunchEnv env = launch_from_environment();
  if (f.world > 0) {  // explicit flags win
    if (f.rank < 0) throw ConfigError("--world-size needs --rank");
    f.o.dist.rank = f.rank;
    f.o.dist.world_size = f.world;
    f.o.dist.local_rank = f.local_rank >= 0 ? f.local_rank : 0;
    f.o.dist.master_addr = f.master_addr;
    f.o.dist.master_port = f.master_port;
  } else if (env.launcher != "none") {  // a --nproc child, or a torchrun / SLURM task
    if (f.nproc > 1 && env.launcher != "cgdmer --nproc")
      throw ConfigError("--nproc starts its own processes; under " + env.launcher + " launch one cgdmer per rank");
    f.o.dist.rank = env.rank;
    f.o.dist.world_size = env.world_size;
    f.o.dist.local_rank = env.local_rank;
    f.o.dist.master_addr = env.master_addr;
    f.o.dist.master_port = env.master_port;
  } else if (f.nproc > 1 && !f.o.dry_run) {
    return launch_local(f.nproc, f.master_port);
  }
  f.o.show_progress = !f.no_progress;
  run_pretrain(f.o);
  return 0;
}

RegisterCommand reg{
    {"pretrain", "pretrain CG-DMER on a shard store (resumable, bf16, multi-process)", 20,
     [](CLI::App& app) -> Runner {
       auto f = std::make_shared<Flags>();
       app.add_option("--config", f->o.config, "preset name (tiny, paper, variant1..4) or TOML file")
           ->capture_default_str();
       app.add_option("--data", f->o.data,
                      "training shard store(s) from `cgdmer prepare`, e.g. --data ptbxl ludb (or comma-separated); "
                      "--folds select within each store that has folds, a store without folds (LUDB) is trained on whole")
           ->delimiter(',')
           ->expected(1, -1);
       app.add_option("--val", f->o.val, "validation shard store (best-checkpoint selection)");
       app.add_option("--folds", f->o.folds, "train on these strat_folds only, e.g. --folds 1 2 3")
           ->expected(0, -1);
       app.add_option("--val-folds", f->o.val_folds,
                      "validate on these folds of --val (or of the first --data store when --val is not given)")
           ->expected(0, -1);
       app.add_option("--out", f->o.out, "run folder (default runs/<config>-<UTC time>)");
       app.add_option("--resume", f->o.resume, "continue the run in this folder exactly");
       app.add_option("--max-steps", f->o.max_steps, "stop after N optimizer steps");
       app.add_option("--save-every", f->o.save_every, "checkpoint every K steps");
       app.add_option("--seed", f->o.seed, "seed for init, data order and masking");
       app.add_option("--set", f->o.overrides, "override a config key: section.key=value")
           ->expected(0, -1);
       add_precision_option(app, &f->o.precision, "fp32 | bf16 | auto (default: the config's train.precision)");
       app.add_option("--device", f->o.device, "cpu | cuda (rank r uses GPU r mod the number of visible GPUs)")
           ->check(CLI::IsMember({"cpu", "cuda"}))
           ->capture_default_str();
       app.add_flag("--dry-run", f->o.dry_run, "print the resolved config and parameter counts");
       app.add_flag("--no-progress", f->no_progress, "no progress bar");
       app.add_option("--nproc", f->nproc, "local processes (Gloo on loopback)")
           ->check(CLI::PositiveNumber);
       app.add_option("--rank", f->rank, "this process's rank (multi-machine; torchrun/SLURM set it for you)");
       app.add_option("--local-rank", f->local_rank, "this process's rank on its machine: its GPU (default 0)");
       app.add_option("--world-size", f->world, "number of processes (multi-machine)");
       app.add_option("--master-addr", f->master_addr, "rank 0's address");
       app.add_option("--master-port", f->master_port, "rank 0's TCP port")->capture_default_str();
       app.add_option("--dist-timeout", f->o.dist.timeout_s, "seconds before a collective fails");
       app.add_option("--dist-backend", f->o.dist.backend, "gloo | nccl | auto (nccl on CUDA where built, else gloo)")
           ->check(CLI::IsMember({"gloo", "nccl", "auto"}))
           ->capture_default_str();
       return [f] { return run(*f); };
     }}};

}  // namespace
}  // namespace cgdmer::cli::cmd_pretrain
