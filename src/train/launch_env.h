// Where this process sits in a distributed run, read from its launcher's environment, so that
// `cgdmer pretrain` starts the same way under torchrun, SLURM or its own --nproc:
//   torchrun / torch.distributed.run   RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT
//   SLURM (srun, one task per GPU)      SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID; MASTER_ADDR
//                                       and MASTER_PORT exported by the job script
//   cgdmer pretrain --nproc N           CGDMER_RANK, CGDMER_WORLD_SIZE, CGDMER_MASTER_PORT
// The first that is present wins, in that order (CGDMER_* first: a --nproc child of a torchrun
// job is the child). A malformed or missing value is a ConfigError naming the variable. The
// local rank picks the GPU (cuda:local_rank), as torchrun expects.
#pragma once

#include <functional>
#include <string>

namespace cgdmer {

struct LaunchEnv {
  std::string launcher = "none";  // "cgdmer --nproc" | "torchrun" | "slurm" | "none"
  int rank = 0, world_size = 1, local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
};

// `getenv`-like lookup (nullptr = unset); defaults to the process environment.
using EnvLookup = std::function<const char*(const char*)>;
LaunchEnv launch_from_environment(const EnvLookup& env = nullptr);

}  // namespace cgdmer
