// cgdmer: one binary for the whole CG-DMER workflow (prepare → pretrain → evaluate → use).
// main() fixes the process environment LibTorch needs for speed, dispatches to the
// registered sub-command, and turns every error into one line + hint + non-zero exit.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

#include <c10/util/Exception.h>

#include "command.h"
#include "core/error.h"
#include "model/runtime.h"

namespace cgdmer::cli {
std::vector<Command>& command_table() {
  static std::vector<Command> table;
  return table;
}
}  // namespace cgdmer::cli

// libgomp reads OMP_WAIT_POLICY when it is loaded, i.e. before main(); setting it here is
// too late, so re-exec once with it set. Passive waiting avoids a ~10x collapse when
// anything else shares the cores (reference/toolchain.md §2).
static void ensure_omp_env(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("CGDMER_NO_REEXEC")) return;
  ::setenv("OMP_WAIT_POLICY", "passive", 1);
  ::execv("/proc/self/exe", argv);
  // exec failed: carry on with the active policy.
}

int main(int argc, char** argv) {
  ensure_omp_env(argv);
  using namespace cgdmer::cli;
  CLI::App app{
      "cgdmer — CG-DMER ECG–report representation learning: prepare PhysioNet data, pretrain, "
      "evaluate (linear probe, zero-shot, t-SNE) and use the model (fine-tune, embed, classify, "
      "retrieve, plot)."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "cgdmer 0.1.0");
  int threads = 0;
  app.add_option("--threads", threads,
                 "intra-op CPU threads (default: all cores of this machine)")
      ->check(CLI::NonNegativeNumber);
  std::vector<Command> cmds = command_table();
  std::sort(cmds.begin(), cmds.end(),
            [](const Command& a, const Command& b) { return a.order < b.order; });
  std::vector<Runner> runners(cmds.size());
  std::vector<CLI::App*> subs(cmds.size());
  for (std::size_t i = 0; i < cmds.size(); ++i) {
    subs[i] = app.add_subcommand(cmds[i].name, cmds[i].summary);
    runners[i] = cmds[i].setup(*subs[i]);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  std::string which;
  try {
    cgdmer::configure_cpu_runtime(threads);
    for (std::size_t i = 0; i < cmds.size(); ++i) {
      if (subs[i]->parsed()) {
        which = cmds[i].name;
        return runners[i]();
      }
    }
  } catch (const cgdmer::Error& e) {
    std::fprintf(stderr, "cgdmer %s: error: %s\n", which.c_str(), e.what());
    if (!e.hint().empty()) std::fprintf(stderr, "hint: %s\n", e.hint().c_str());
    return 1;
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "cgdmer %s: error: %s\n", which.c_str(), e.what_without_backtrace());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cgdmer %s: error: %s\n", which.c_str(), e.what());
    return 1;
  }
  return 1;
}
