// `cgdmer retrieve`: ECG → report and report → ECG retrieval against a store, or recall@K
// over a store (--evaluate). The work is serve/retrieve.h.
#include <cstdio>

#include "command.h"
#include "core/error.h"
#include "serve/retrieve.h"

namespace cgdmer::cli::cmd_retrieve {  // one namespace per command: apps/cgdmer builds as a unity build
namespace {

Runner setup(CLI::App& app) {
  auto o = std::make_shared<RetrieveOptions>();
  auto no_progress = std::make_shared<bool>(false);
  app.add_option("--model", o->model, "checkpoint (.ckpt) or run folder from `cgdmer pretrain`")->required();
  app.add_option("--query", o->query,
                 "a record path (→ the store's closest reports) or report text (→ the closest ECGs)");
  app.add_option("--against", o->against, "shard store from `cgdmer prepare`")->required();
  app.add_option("-k", o->k, "results to return")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_flag("--evaluate", o->evaluate,
               "recall@1/5/10 over the store in both directions (each ECG's own report is the positive)");
  app.add_option("--batch", o->batch_size, "batch size for the store's embeddings")->check(CLI::PositiveNumber);
  add_device_option(app, &o->device);
  add_precision_option(app, &o->precision, "fp32 | bf16 | auto")->default_str(precision_name(o->precision));
  app.add_flag("--no-progress", *no_progress, "no progress bar");
  return [=]() {
    o->progress = !*no_progress;
    if (o->evaluate) {
      if (!o->query.empty()) throw ConfigError("--evaluate takes no --query");
      std::printf("%s\n", recall_json(run_retrieval_evaluation(*o), o->against).c_str());
      return 0;
    }
    if (o->query.empty()) throw ConfigError("retrieve needs --query (or --evaluate)", "--query RECORD or --query \"report text\"");
    std::printf("%s\n", retrieval_json(run_retrieve(*o)).c_str());
    return 0;
  };
}

RegisterCommand reg{{"retrieve", "ECG→report / report→ECG retrieval against a store; recall@K with --evaluate", 62, setup}};

}  // namespace
}  // namespace cgdmer::cli::cmd_retrieve
