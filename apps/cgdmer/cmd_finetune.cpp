// `cgdmer finetune`: a classifier on a store's labels (a task or a label CSV), from a
// pretrained model or a random-init encoder. The work is train/finetune.h's run_finetune.
#include <cmath>
#include <cstdio>

#include "command.h"
#include "train/finetune.h"

namespace cgdmer::cli::cmd_finetune {  // one namespace per command: apps/cgdmer builds as a unity build
namespace {

Runner setup(CLI::App& app) {
  auto o = std::make_shared<FinetuneOptions>();
  auto objective = std::make_shared<std::string>("multilabel");
  auto no_progress = std::make_shared<bool>(false);
  auto* model = app.add_option("--model", o->model, "pretrained checkpoint (.ckpt) or run folder from `cgdmer pretrain`");
  auto* rnd = app.add_option("--random-init", o->random_init_config,
                             "start from a random-init encoder of this preset / TOML instead (the baseline)");
  model->excludes(rnd);
  app.add_option("--data", o->data, "shard store from `cgdmer prepare`");
  auto* task = app.add_option("--task", o->task,
                              "labels of a task: ptbxl_super, ptbxl_sub, ptbxl_form, ptbxl_rhythm, cpsc2018, csn");
  auto* csv = app.add_option("--labels", o->labels_csv,
                             "labels from a CSV: id, optional split (train/val/test), and a 'labels' column "
                             "(names separated by ';') or one 0/1 column per class");
  task->excludes(csv);
  app.add_option("--val-fold", o->val_fold, "validation fold (epoch, temperature and thresholds are chosen on it)")
      ->capture_default_str();
  app.add_option("--test-fold", o->test_fold, "test fold (reported, never chosen on)")->capture_default_str();
  app.add_option("--mode", o->mode, "linear: frozen encoder + a linear head; full: encoder unfrozen")
      ->check(CLI::IsMember({"linear", "full"}))
      ->capture_default_str();
  app.add_option("--objective", *objective, "multilabel (sigmoid, BCE) or multiclass (softmax, one class per record)")
      ->check(CLI::IsMember({"multilabel", "multiclass"}))
      ->capture_default_str();
  app.add_option("--class-weights", o->class_weights,
                 "balanced: multilabel pos_weight = n_neg / n_pos, multiclass weight = N / (C n_c)")
      ->check(CLI::IsMember({"none", "balanced"}))
      ->capture_default_str();
  app.add_option("--epochs", o->epochs)->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--batch", o->batch_size)->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--lr", o->lr, "peak LR of the head (warm-up over epoch 1 in full mode, then cosine)")
      ->capture_default_str();
  app.add_option("--weight-decay", o->weight_decay)->capture_default_str();
  app.add_option("--layer-decay", o->layer_decay,
                 "full mode: encoder block k of K trains at lr * decay^(K - k), the tokenizer at lr * decay^(K + 1); 1 = off")
      ->capture_default_str();
  app.add_option("--grad-clip", o->grad_clip, "global gradient-norm clip (0 = off)")->capture_default_str();
  app.add_option("--seed", o->seed)->capture_default_str();
  add_precision_option(app, &o->precision, "fp32 | bf16 | auto")->default_str(precision_name(o->precision));
  app.add_option("--ci-resamples", o->trust_resamples, "bootstrap resamples of the test CIs")->capture_default_str();
  app.add_flag("--allow-pretraining-overlap", o->allow_pretraining_overlap,
               "go on although test records were used to pretrain the model (a warning instead of an error)");
  app.add_option("--out", o->out, "run folder");
  app.add_option("--resume", o->resume, "continue an interrupted run folder (its options are read from it)");
  app.add_flag("--no-progress", *no_progress, "no progress bars");
  app.footer(
      "Writes RUN/classifier.ckpt (encoder + head with label names, temperature and thresholds, and the "
      "preprocessing contract: `cgdmer classify --model RUN` names calibrated findings, `cgdmer embed --model "
      "RUN` uses the fine-tuned encoder), RUN/results.md|json (test AUROC, AUPRC, F1, sensitivity, "
      "specificity, Brier, ECE with 95 % CIs), metrics.jsonl and PNG curves.");
  return [=]() {
    o->objective = parse_objective(*objective);
    o->progress = !*no_progress;
    const FinetuneResult r = run_finetune(*o);
    std::printf("fine-tuned %s: best epoch %d (validation macro AUROC %.4f), temperature %.3f\n", r.run_dir.c_str(),
                r.best_epoch, r.best_val_auroc, r.head.temperature);
    if (r.test) {
      const auto& m = r.test->macro;
      std::printf("test (%lld records): macro AUROC %.4f [%.4f, %.4f], AUPRC %.4f, F1 %.4f, ECE %.4f\n",
                  static_cast<long long>(r.n_test), m.auroc.point, m.auroc.low, m.auroc.high, m.auprc.point,
                  m.f1.point, m.ece.point);
    }
    std::printf("wrote %s, %s/results.md\n", r.classifier_path.c_str(), r.run_dir.c_str());
    return 0;
  };
}

RegisterCommand reg{{"finetune", "train a classifier on a store's labels (linear or full), calibrated on validation", 47, setup}};

}  // namespace
}  // namespace cgdmer::cli::cmd_finetune
