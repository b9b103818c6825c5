// `cgdmer embed`: ECG features (pooled encoder output and/or h_sh) for record files, folders
// and stores → .npy (+ ids, CSV). The work is serve/embed.h's run_embed.
#include <cstdio>

#include "command.h"
#include "serve/embed.h"

namespace cgdmer::cli::cmd_embed {  // one namespace per command: apps/cgdmer builds as a unity build
namespace {

Runner setup(CLI::App& app) {
  auto o = std::make_shared<EmbedOptions>();
  auto no_progress = std::make_shared<bool>(false);
  app.add_option("--model", o->model, "checkpoint (.ckpt) or run folder from `cgdmer pretrain`")->required();
  app.add_option("inputs", o->inputs,
                 "record files (.hea, Challenge .hea/.mat, CPSC .mat), folders (every record below "
                 "them, recursively) or shard stores from `cgdmer prepare`")
      ->required();
  app.add_option("--out", o->out,
                 "FILE.npy; --kind both writes FILE.pooled.npy + FILE.shared.npy; ids in FILE.ids.txt")
      ->required();
  app.add_option("--kind", o->kind,
                 "pooled: (N, D) token mean → LayerNorm (linear-probe feature); shared: (N, E) "
                 "L2-normalised f_sh^ecg (zero-shot/retrieval space); both")
      ->check(CLI::IsMember({"pooled", "shared", "both"}))
      ->capture_default_str();
  app.add_option("--batch", o->batch_size, "ECGs per forward pass")->check(CLI::PositiveNumber)->capture_default_str();
  add_device_option(app, &o->device);
  add_precision_option(app, &o->precision, "fp32 | bf16 | auto (bf16 where the CPU has it natively)")
      ->default_str(precision_name(o->precision));
  app.add_flag("--csv", o->csv, "also write the features as CSV (id,f0,f1,...)");
  app.add_option("--aggregate", o->aggregate,
                 "a record file longer than the model's window: mean over its windows, or first "
                 "(the first window only, as prepare crops)")
      ->capture_default_str()
      ->check(CLI::IsMember({"mean", "first"}));
  add_csv_record_options(app, &o->read);
  app.add_option("--window-stride", o->window_stride_seconds,
                 "seconds between window starts (default: the window length); a last window always "
                 "ends at the record's end")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--dump-input", o->dump_input,
                 "also write the preprocessed model input (N, leads, samples) as .npy");
  app.add_flag("--no-progress", *no_progress, "no progress bar");
  app.footer(
      "Record files are preprocessed as `cgdmer prepare` stores them for the model: MIMIC lead order, "
      "resampled to n_samples / 10 s (tiny: 100 Hz, paper: 500 Hz), crop/pad, min-max to [0, 1], int16 "
      "grid — or the model's recorded preprocessing contract. Records with fewer leads are encoded on "
      "their own leads; longer records through windows (--aggregate). Files that cannot be read are "
      "listed in STEM.failed.json and skipped. Ids: a file's record name (00001_lr); a store row's "
      "record id (PTB-XL: ecg_id).");
  return [=]() {
    o->progress = !*no_progress;
    const EmbedResult r = run_embed(*o);
    const double n = double(r.ids.size());
    std::printf("embedded %zu ECGs in %.2fs (%.1f ECGs/s end to end; encoder %.1f ECGs/s)\n", r.ids.size(),
                r.total_seconds, r.total_seconds > 0 ? n / r.total_seconds : 0.0,
                r.encoder_seconds > 0 ? n / r.encoder_seconds : 0.0);
    for (const auto& f : r.files) std::printf("wrote %s\n", f.c_str());
    for (const auto& [path, why] : r.failed) std::printf("not read: %s\n", why.c_str());
    return 0;
  };
}

RegisterCommand reg{{"embed", "ECG features (pooled / shared) for records, folders or stores → .npy/CSV", 60, setup}};

}  // namespace
}  // namespace cgdmer::cli::cmd_embed
