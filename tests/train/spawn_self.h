// Helpers for multi-process tests: re-run this test binary as another rank (a fresh exec,
// not a bare fork, because OpenMP/LibTorch thread pools do not survive fork) with a gtest
// filter and extra environment variables, and wait for it. A child's body is a test named
// <Suite>Worker.DISABLED_<Name>: disabled, so a normal run neither runs nor skips it, and
// spawn_self runs it with --gtest_also_run_disabled_tests.
#pragma once

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

extern char** environ;

namespace cgdmer::testing {

// Starts `path` with `args` (argv[1..]) and `extra_env` added to this process's environment;
// the child's pid, or -1.
inline pid_t spawn_program(const std::string& path, const std::vector<std::string>& args,
                           const std::vector<std::string>& extra_env) {
  std::vector<std::string> argv_s{path};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<std::string> env_s(extra_env);
  for (char** e = environ; *e; ++e) env_s.emplace_back(*e);
  std::vector<char*> argv, envp;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, path.c_str(), nullptr, nullptr, argv.data(), envp.data()) != 0) return -1;
  return pid;
}

inline pid_t spawn_self(const std::string& gtest_filter,
                        const std::vector<std::string>& extra_env) {
  return spawn_program("/proc/self/exe", {"--gtest_filter=" + gtest_filter, "--gtest_also_run_disabled_tests"},
                       extra_env);
}

// Exit code of the child, or -signal if it was killed.
inline int wait_child(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1000;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1000;
}

inline int free_port_guess() { return 20000 + int(getpid() % 30000); }

inline const char* env_or_null(const char* name) { return std::getenv(name); }

}  // namespace cgdmer::testing
