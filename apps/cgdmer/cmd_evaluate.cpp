// `cgdmer evaluate`: linear probing at 1/10/100 % and zero-shot over the paper's tasks for
// one or more checkpoints (+ the random-init baseline), written as results.json, results.md
// (paper Tables 1/2 layout) and ROC PNGs. The work is eval/evaluate.h's run_evaluation.
// `cgdmer probe` and `cgdmer zeroshot` are the same command with only one mode.
#include <cstdio>
#include <sstream>

#include "command.h"
#include "core/error.h"
#include "eval/evaluate.h"
#include "eval/tasks.h"

namespace cgdmer::cli::cmd_evaluate {  // one namespace per command: apps/cgdmer builds as a unity build
namespace {

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string x;
  while (std::getline(ss, x, ','))
    if (!x.empty()) out.push_back(x);
  return out;
}

Runner setup(CLI::App& app, const std::string& default_mode) {
  auto o = std::make_shared<EvaluateOptions>();
  auto model = std::make_shared<std::string>(), compare = std::make_shared<std::string>();
  auto tasks = std::make_shared<std::string>("all"), data = std::make_shared<std::string>();
  auto ratios = std::make_shared<std::string>("1,10,100");
  auto mode = std::make_shared<std::string>(default_mode);
  app.add_option("--model", *model, "checkpoint to evaluate");
  app.add_option("--compare", *compare, "more checkpoints, comma-separated (extra table rows)");
  app.add_flag("--random-init", o->random_init, "add a randomly initialised encoder as a baseline row");
  app.add_option("--random-init-config", o->random_init_config,
                 "preset/TOML for --random-init (default: the --model's config)");
  app.add_option("--ci-resamples", o->trust_resamples,
                 "bootstrap resamples of the per-class / macro metrics with 95 % CIs (0: skip them)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--leads", o->leads,
                 "evaluate on a lead subset, e.g. --leads I II III aVR aVL aVF (limb) or --leads II: "
                 "each record cut to these leads, encoded on their tokens only")
      ->delimiter(',');
  app.add_option_function<std::string>(
         "--lead-input",
         [o](const std::string& v) { o->zero_fill_absent = v == "zero-filled"; },
         "with --leads: tokens (only the present leads' tokens, default) | zero-filled (a 12-lead "
         "input whose other leads are 0, for comparison)")
      ->check(CLI::IsMember({"tokens", "zero-filled"}));
  app.add_option("--window-stride", o->window_stride_seconds,
                 "a store prepared with records longer than the model's window (prepare --seconds 60) is "
                 "evaluated through windows, features averaged per record: seconds between window starts "
                 "(default: the window length)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--random-init-draws", o->random_init_draws,
                 "random-init encoders to draw (seeds --seed, --seed+1, ...); with K > 1 results.md adds their mean ± sd")
      ->check(CLI::PositiveNumber);
  app.add_option("--tasks", *tasks, "comma-separated: ptbxl_super,ptbxl_sub,ptbxl_form,ptbxl_rhythm,cpsc2018,csn or all");
  app.add_option("--data", *data, "shard store(s), comma-separated (from cgdmer prepare)")->required();
  app.add_option("--val-fold", o->val_fold, "PTB-XL strat_fold used for validation");
  app.add_option("--test-fold", o->test_fold, "PTB-XL strat_fold used for testing");
  app.add_option("--ratios", *ratios, "percent of the training split, comma-separated");
  app.add_option_function<std::string>(
         "--protocol", [o](const std::string& v) { o->protocol = parse_probe_protocol(v); },
         "honest (epoch by validation) | merl (max test AUC, MERL LR quirk)")
      ->check(CLI::IsMember({"honest", "merl"}));
  app.add_option("--mode", *mode, "linear | zeroshot | both")->check(CLI::IsMember({"linear", "zeroshot", "both"}));
  app.add_flag("--merl-bugs", o->merl_bugs, "reproduce MERL's label bugs (sub-class column order, CSN substrings)");
  app.add_flag("--allow-pretraining-overlap", o->allow_pretraining_overlap,
               "evaluate even when test records were used to pretrain the model (refused by default)");
  app.add_option("--merl-splits", o->merl_splits,
                 "MERL's finetune/data_split folder: train/val/test = the records its CSVs list, in "
                 "their order (default: strat_fold for PTB-XL, MERL's random split otherwise)")
      ->check(CLI::ExistingDirectory);
  app.add_option("--prompts", o->prompts, "class prompt JSON (default: bundled MERL CKEPE prompts)");
  app.add_option("--epochs", o->epochs, "linear-probe epochs")->check(CLI::PositiveNumber);
  app.add_option("--batch", o->feature_batch, "feature-extraction batch size")->check(CLI::PositiveNumber);
  add_device_option(app, &o->device);
  add_precision_option(app, &o->precision, "fp32 | bf16 | auto")->default_str(precision_name(o->precision));
  app.add_option("--cache", o->cache_dir, "feature cache folder (default OUT/cache)");
  app.add_option("--seed", o->seed, "probe seed");
  app.add_flag("--no-plots", [o](std::int64_t) { o->roc_plots = false; }, "skip ROC PNGs");
  app.add_option("--out", o->out_dir, "output folder")->required();
  return [=]() {
    if (!model->empty()) o->models.push_back(*model);
    for (auto& c : split_commas(*compare)) o->models.push_back(c);
    o->tasks = parse_task_list(*tasks);
    o->stores = split_commas(*data);
    o->ratios.clear();
    for (auto& r : split_commas(*ratios)) {
      try {
        o->ratios.push_back(std::stod(r));
      } catch (const std::exception&) {
        throw ConfigError("--ratios: '" + r + "' is not a number");
      }
    }
    o->linear = *mode != "zeroshot";
    o->zeroshot = *mode != "linear";
    const auto rows = run_evaluation(*o);
    write_results(o->out_dir, rows, *o);
    std::printf("%s", results_markdown(rows, *o).c_str());
    std::printf("\nwrote %s/results.json, results.md and ROC PNGs\n", o->out_dir.c_str());
    return 0;
  };
}

RegisterCommand reg{{"evaluate",
                     "linear probing (1/10/100 %) and zero-shot over the paper's tasks → results.md/json",
                     40, [](CLI::App& app) { return setup(app, "both"); }}};
RegisterCommand reg_probe{{"probe", "linear probing only (evaluate --mode linear)", 41,
                           [](CLI::App& app) { return setup(app, "linear"); }}};
RegisterCommand reg_zeroshot{{"zeroshot", "zero-shot classification only (evaluate --mode zeroshot)",
                              42, [](CLI::App& app) { return setup(app, "zeroshot"); }}};

}  // namespace
}  // namespace cgdmer::cli::cmd_evaluate
