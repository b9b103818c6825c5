// `cgdmer classify`: class scores of ECG records — a fine-tuned classifier's calibrated,
// named findings, or zero-shot prompt scores — as ranked JSON on stdout, or one table for
// many records. The work is serve/classify.h.
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "command.h"
#include "core/error.h"
#include "serve/classify.h"

namespace cgdmer::cli::cmd_classify {  // one namespace per command: apps/cgdmer builds as a unity build
namespace {

Runner setup(CLI::App& app) {
  auto o = std::make_shared<ClassifyOptions>();
  auto labels = std::make_shared<std::string>();
  app.add_option("--model", o->model,
                 "checkpoint (.ckpt) or run folder from `cgdmer pretrain` (zero-shot), or from `cgdmer finetune` "
                 "(its classifier: calibrated probabilities of its classes)")
      ->required();
  auto records = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>();
  auto no_progress = std::make_shared<bool>(false);
  app.add_option("records", *records,
                 "ECG record files (WFDB .hea, Challenge .hea/.mat, CPSC .mat, GE MUSE / HL7 aECG / "
                 "Philips XML, EDF, DICOM, SCP-ECG; any lead subset, any length) or folders of them")
      ->required();
  app.add_option("--out", *out,
                 "FILE.json: write one table for all records (and FILE.csv); needed for several "
                 "records or a folder. Unreadable records are listed with the reason, the rest go on");
  app.add_flag("--no-progress", *no_progress, "no progress bar");
  app.add_option("--aggregate", o->aggregate,
                 "a record longer than the model's window is scored per window: mean | max of the "
                 "per-window scores, or first (the first window only, as prepare crops)")
      ->capture_default_str()
      ->check(CLI::IsMember({"mean", "max", "first"}));
  add_csv_record_options(app, &o->read);
  app.add_option("--window-stride", o->window_stride_seconds,
                 "seconds between window starts (default: the window length, no overlap); a last "
                 "window always ends at the record's end")
      ->check(CLI::NonNegativeNumber);
  auto* p = app.add_option("--prompts", o->prompts_file,
                           "JSON object class → description (MERL CKEPE format); every class is scored");
  auto* l = app.add_option("--labels", *labels,
                           "comma-separated labels, each used as its own prompt, e.g. "
                           "\"atrial fibrillation,sinus rhythm\"");
  p->excludes(l);
  app.add_flag("--zero-shot", o->zero_shot,
               "a classifier model: score with prompts (the default CKEPE ones) instead of its head");
  app.add_option("--top", o->top_k, "print only the K best classes (0 = all)")->check(CLI::NonNegativeNumber);
  add_device_option(app, &o->device);
  add_precision_option(app, &o->precision, "fp32 | bf16 | auto")->default_str(precision_name(o->precision));
  app.footer(
      "A model from `cgdmer finetune` is applied as its classifier unless --prompts/--labels/--zero-shot "
      "is given: each class gets its temperature-calibrated probability, its validation-chosen threshold and "
      "whether it is reached ('findings'). For zero-shot scoring without --prompts/--labels the bundled CKEPE prompts (assets/prompts/CKEPE_prompt.json) are used "
      "for NORM, MI, STTC, CD, HYP (PTB-XL super classes) and SR, AFIB, AFLT, STACH, SBRAD, PACE. "
      "Scores are cosines between the ECG's and each prompt's shared embeddings.");
  return [=]() {
    std::stringstream ss(*labels);
    std::string x;
    while (std::getline(ss, x, ','))
      if (x.find_first_not_of(' ') != std::string::npos) o->labels.push_back(x.substr(x.find_first_not_of(' ')));
    std::error_code ec;
    const bool one = records->size() == 1 && !std::filesystem::is_directory(records->front(), ec);
    if (one && out->empty()) {
      o->record = records->front();
      const ClassifyResult r = run_classify(*o);
      std::printf("%s\n", classify_json(r).c_str());
      return 0;
    }
    if (out->empty())
      throw ConfigError("classify of several records or a folder writes a table: pass --out FILE.json");
    const ClassifyTable t = run_classify_batch(*o, *records, !*no_progress);
    write_classify_table(t, *out);
    std::printf("classified %zu records, %zu could not be read; wrote %s and its .csv\n", t.rows.size(),
                t.failed.size(), out->c_str());
    for (const auto& [path, why] : t.failed) std::printf("  not read: %s\n", why.c_str());
    return t.rows.empty() ? 1 : 0;
  };
}

RegisterCommand reg{{"classify", "a classifier's calibrated findings or zero-shot scores: one record as ranked JSON, or many as a table", 61, setup}};

}  // namespace
}  // namespace cgdmer::cli::cmd_classify
