// Implements launch_env.h.
#include "train/launch_env.h"

#include <cstdlib>

#include "core/error.h"

namespace cgdmer {
namespace {

int integer(const EnvLookup& env, const char* name, int min_value) {
  const char* v = env(name);
  if (!v) throw ConfigError(std::string("distributed launch: ") + name + " is not set");
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (!*v || *end || x < min_value || x > 1000000)
    throw ConfigError(std::string("distributed launch: ") + name + "='" + v + "' is not an integer >= " +
                      std::to_string(min_value));
  return int(x);
}

void check(const LaunchEnv& l, const char* rank_var) {
  if (l.rank >= l.world_size)
    throw ConfigError(std::string("distributed launch: ") + rank_var + " " + std::to_string(l.rank) +
                      " is not below the world size " + std::to_string(l.world_size));
}

}  // namespace

LaunchEnv launch_from_environment(const EnvLookup& lookup) {
  const EnvLookup env = lookup ? lookup : EnvLookup([](const char* n) { return std::getenv(n); });
  LaunchEnv l;
  if (env("CGDMER_RANK")) {
    l.launcher = "cgdmer --nproc";
    l.rank = integer(env, "CGDMER_RANK", 0);
    l.world_size = integer(env, "CGDMER_WORLD_SIZE", 1);
    l.local_rank = l.rank;  // one machine
    l.master_port = integer(env, "CGDMER_MASTER_PORT", 1);
    check(l, "CGDMER_RANK");
    return l;
  }
  const bool torchrun = env("RANK") && env("WORLD_SIZE");
  const bool slurm = !torchrun && env("SLURM_PROCID") && env("SLURM_NTASKS");
  if (!torchrun && !slurm) return l;
  l.launcher = torchrun ? "torchrun" : "slurm";
  l.rank = integer(env, torchrun ? "RANK" : "SLURM_PROCID", 0);
  l.world_size = integer(env, torchrun ? "WORLD_SIZE" : "SLURM_NTASKS", 1);
  const char* local = torchrun ? "LOCAL_RANK" : "SLURM_LOCALID";
  l.local_rank = env(local) ? integer(env, local, 0) : 0;
  check(l, torchrun ? "RANK" : "SLURM_PROCID");
  if (l.world_size == 1) return l;
  if (!env("MASTER_ADDR") || !*env("MASTER_ADDR"))
    throw ConfigError("distributed launch (" + l.launcher + ", world size " + std::to_string(l.world_size) +
                          "): MASTER_ADDR is not set",
                      "export MASTER_ADDR (rank 0's host, e.g. $(scontrol show hostnames $SLURM_JOB_NODELIST "
                      "| head -n1)) and MASTER_PORT");
  l.master_addr = env("MASTER_ADDR");
  l.master_port = integer(env, "MASTER_PORT", 1);
  return l;
}

}  // namespace cgdmer
