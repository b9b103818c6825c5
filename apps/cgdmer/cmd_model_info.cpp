// `cgdmer model-info --config NAME [--set k=v ...]`: builds the model a config describes
// (random weights) and prints the resolved config and the parameter count of every part.
#include <cstdio>

#include "command.h"
#include "config/config.h"
#include "model/cgdmer_model.h"
#include "model/model_summary.h"

namespace cgdmer::cli::cmd_model_info {  // one namespace per command: apps/cgdmer builds as a unity build
namespace {

struct ModelInfoArgs {
  std::string config = "paper";
  std::vector<std::string> sets;
};

RegisterCommand reg{{"model-info", "print a config's resolved values and parameter counts", 15,
                     [](CLI::App& app) -> Runner {
                       auto args = std::make_shared<ModelInfoArgs>();
                       app.add_option("--config", args->config, "preset name or TOML path")
                           ->capture_default_str();
                       app.add_option("--set", args->sets, "override section.key=value (repeatable)");
                       return [args]() {
                         Config cfg = Config::load(args->config, args->sets);
                         CgDmer model(cfg);
                         std::fputs(describe(*model).c_str(), stdout);
                         return 0;
                       };
                     }}};

}  // namespace
}  // namespace cgdmer::cli::cmd_model_info
