// `cgdmer ablate`: the paper's Table 3 as a command — variants 1–4, the full model and a
// MERL-style baseline, each pretrained with k seeds and evaluated on held-out records, tabulated
// with mean ± sd, bootstrap CIs and paired comparisons with the full model (train/ablation.h).
#include <cstdio>

#include "command.h"
#include "core/error.h"
#include "eval/tasks.h"
#include "train/ablation.h"

namespace cgdmer::cli::cmd_ablate {  // one namespace per command: apps/cgdmer builds as a unity build
namespace {

RegisterCommand reg{
    {"ablate", "Table 3: pretrain each ablation variant with k seeds, evaluate, compare with CIs", 25,
     [](CLI::App& app) -> Runner {
       auto o = std::make_shared<AblationOptions>();
       auto tasks = std::make_shared<std::string>("ptbxl_super,ptbxl_form,ptbxl_rhythm");
       app.add_option("--data", o->data, "one labelled store (e.g. PTB-XL): pretraining, validation and test folds")
           ->required();
       app.add_option("--out", o->out, "output folder (runs/, ablation.md, ablation.json)")->required();
       app.add_option("--config", o->base_config, "base preset the variants modify (tiny, paper, TOML)")
           ->capture_default_str();
       app.add_option("--set", o->overrides, "override a config key for every variant")->expected(0, -1);
       app.add_option("--variants", o->variants,
                      "variant1 variant2 variant3 variant4 full merl (default: all; full is always run)")
           ->expected(0, -1);
       app.add_option("--seeds", o->seeds, "pretraining seeds per variant")->capture_default_str();
       app.add_option("--first-seed", o->first_seed, "seeds are first-seed, first-seed + 1, ...")
           ->capture_default_str();
       app.add_option("--max-steps", o->max_steps, "pretraining steps per run (default: the config's)");
       app.add_option("--folds", o->folds, "pretraining folds")->expected(0, -1)->capture_default_str();
       app.add_option("--val-fold", o->val_fold, "validation fold (pretraining and probing)")
           ->capture_default_str();
       app.add_option("--test-fold", o->test_fold, "test fold (never pretrained on)")->capture_default_str();
       app.add_option("--tasks", *tasks, "comma-separated tasks")->capture_default_str();
       app.add_option("--ratios", o->ratios, "label ratios of the linear probes (%)")
           ->expected(0, -1)
           ->capture_default_str();
       app.add_option("--probe-epochs", o->probe_epochs, "linear-probe epochs")->capture_default_str();
       app.add_option("--bootstrap", o->bootstrap_resamples, "bootstrap resamples")->capture_default_str();
       add_precision_option(app, &o->precision, "fp32 | bf16 | auto")->default_str(precision_name(o->precision));
       app.add_flag("--no-progress", [o](std::int64_t) { o->show_progress = false; }, "no progress bars");
       return [o, tasks] {
         o->tasks = parse_task_list(*tasks);
         const auto cells = run_ablation(*o);
         std::printf("%s", ablation_markdown(cells, *o).c_str());
         std::printf("\nwrote %s/ablation.md and ablation.json\n", o->out.c_str());
         return 0;
       };
     }}};

}  // namespace
}  // namespace cgdmer::cli::cmd_ablate
