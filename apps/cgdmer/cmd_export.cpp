// `cgdmer export`: a checkpoint → DIR/model.safetensors + config.json + PARAMETERS.md, for
// loading without cgdmer (tools/load_exported.py). The work is serve/export_model.h.
#include <cstdio>

#include "command.h"
#include "serve/export_model.h"

namespace cgdmer::cli::cmd_export {  // one namespace per command: apps/cgdmer builds as a unity build
namespace {

Runner setup(CLI::App& app) {
  auto o = std::make_shared<ExportOptions>();
  app.add_option("--model", o->model, "checkpoint (.ckpt) or run folder from `cgdmer pretrain`")->required();
  app.add_option("--out", o->out, "output folder")->required();
  app.footer(
      "Writes model.safetensors (every parameter and buffer, float32, module-path names), config.json "
      "(resolved config, model hash, preprocessing: lead order, n_samples, rate) and PARAMETERS.md. "
      "tools/load_exported.py loads them with plain PyTorch and reproduces `cgdmer embed`. "
      "`cgdmer import-hf` goes the other way for the text encoder (Hugging Face BERT weights).");
  return [=]() {
    const ExportResult r = run_export(*o);
    std::printf("exported %lld tensors (%lld values), model hash %s\n", (long long)r.n_tensors,
                (long long)r.n_values, r.model_hash.c_str());
    for (const auto& f : r.files) std::printf("wrote %s\n", f.c_str());
    return 0;
  };
}

RegisterCommand reg{{"export", "checkpoint → model.safetensors + config.json (+ Python loader in tools/)", 63, setup}};

}  // namespace
}  // namespace cgdmer::cli::cmd_export
