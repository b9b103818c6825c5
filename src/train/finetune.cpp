// Implements finetune.h.
#include "train/finetune.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/progress.h"
#include "data/preprocess_contract.h"
#include "data/shard_store.h"
#include "eval/features.h"
#include "eval/label_csv.h"
#include "eval/linear_probe.h"
#include "eval/pretraining_overlap.h"
#include "eval/task_split.h"
#include "eval/tasks.h"
#include "metrics/roc_auc.h"
#include "metrics/temperature.h"
#include "metrics/threshold_metrics.h"
#include "model/checkpoint_file.h"
#include "model/compat.h"
#include "model/model_loading.h"
#include "plot/chart.h"
#include "train/checkpoint.h"
#include "train/optim.h"

namespace cgdmer {

namespace fs = std::filesystem;
namespace F = torch::nn::functional;

double layer_lr_scale(const std::string& name, int depth, double decay) {
  const std::string blocks = "ecg_encoder.blocks.";
  if (name.rfind(blocks, 0) == 0) {
    const int k = std::stoi(name.substr(blocks.size()));
    return std::pow(decay, depth - k);
  }
  if (name.rfind("ecg_tokenizer.", 0) == 0) return std::pow(decay, depth + 1);
  return 1.0;  // ecg_encoder.norm / pool_norm, the head
}

nlohmann::json finetune_options_json(const FinetuneOptions& o) {
  return {{"model", o.model},
          {"random_init_config", o.random_init_config},
          {"data", o.data},
          {"task", o.task},
          {"labels_csv", o.labels_csv},
          {"val_fold", o.val_fold},
          {"test_fold", o.test_fold},
          {"mode", o.mode},
          {"objective", objective_name(o.objective)},
          {"class_weights", o.class_weights},
          {"epochs", o.epochs},
          {"batch_size", o.batch_size},
          {"lr", o.lr},
          {"weight_decay", o.weight_decay},
          {"layer_decay", o.layer_decay},
          {"grad_clip", o.grad_clip},
          {"seed", o.seed},
          {"precision", precision_name(o.precision)},
          {"allow_pretraining_overlap", o.allow_pretraining_overlap},
          {"trust_resamples", o.trust_resamples}};
}

FinetuneOptions finetune_options_from_json(const nlohmann::json& j, const std::string& path) {
  try {
    FinetuneOptions o;
    o.model = j.at("model");
    o.random_init_config = j.at("random_init_config");
    o.data = j.at("data");
    o.task = j.at("task");
    o.labels_csv = j.at("labels_csv");
    o.val_fold = j.at("val_fold");
    o.test_fold = j.at("test_fold");
    o.mode = j.at("mode");
    o.objective = parse_objective(j.at("objective"));
    o.class_weights = j.at("class_weights");
    o.epochs = j.at("epochs");
    o.batch_size = j.at("batch_size");
    o.lr = j.at("lr");
    o.weight_decay = j.at("weight_decay");
    o.layer_decay = j.at("layer_decay");
    o.grad_clip = j.at("grad_clip");
    o.seed = j.at("seed");
    o.precision = parse_precision(j.at("precision"), "precision");
    o.allow_pretraining_overlap = j.at("allow_pretraining_overlap");
    o.trust_resamples = j.at("trust_resamples");
    return o;
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(path, std::string("fine-tune options: ") + e.what());
  }
}

namespace {

void check_options(const FinetuneOptions& o) {
  if (o.model.empty() == o.random_init_config.empty())
    throw ConfigError("finetune: give --model (a pretrained model) or --random-init CONFIG, one of them");
  if (o.data.empty()) throw ConfigError("finetune: no data store given", "pass --data STORE");
  if (o.task.empty() == o.labels_csv.empty())
    throw ConfigError("finetune: give --task NAME or --labels FILE.csv, one of them");
  if (o.mode != "linear" && o.mode != "full")
    throw ConfigError("finetune --mode must be linear or full, not '" + o.mode + "'");
  if (o.class_weights != "none" && o.class_weights != "balanced")
    throw ConfigError("finetune --class-weights must be none or balanced, not '" + o.class_weights + "'");
  if (o.epochs < 1 || o.batch_size < 1) throw ConfigError("finetune: --epochs and --batch must be >= 1");
  if (!(o.lr > 0)) throw ConfigError("finetune --lr must be > 0");
  if (!(o.layer_decay > 0 && o.layer_decay <= 1)) throw ConfigError("finetune --layer-decay must be in (0, 1]");
  if (o.out.empty()) throw ConfigError("finetune: no run folder given", "pass --out RUN");
}

struct Labels {
  std::string source;
  std::vector<std::string> classes;
  TaskSplit split;
};

Labels resolve_labels(const FinetuneOptions& o, const ShardStore& store) {
  SplitRules rules;
  rules.val_fold = o.val_fold;
  rules.test_fold = o.test_fold;
  Labels l;
  if (!o.task.empty()) {
    const TaskDef& t = find_task(o.task);
    l.source = t.name;
    l.classes = t.classes;
    l.split = resolve_task_split(t, store, rules);
  } else {
    LabelTable t = read_label_csv(o.labels_csv, store, rules);
    l.source = o.labels_csv;
    l.classes = std::move(t.classes);
    l.split = std::move(t.split);
  }
  if (l.split.train.empty() || l.split.val.empty())
    throw ConfigError("finetune: " + l.source + " on " + store.dir() + " gives " +
                          std::to_string(l.split.train.size()) + " training and " +
                          std::to_string(l.split.val.size()) + " validation records; both must be non-empty",
                      "check --val-fold / --test-fold, or the split column of the label CSV");
  if (o.objective == Objective::multiclass) {
    auto check = [&](const torch::Tensor& y, const std::vector<std::int64_t>& rows) {
      const auto n = y.sum(1);
      for (std::int64_t r = 0; r < y.size(0); ++r)
        if (n[r].item<float>() != 1.f)
          throw ConfigError("finetune --objective multiclass: record " + store.record_id(rows[std::size_t(r)]) +
                                " has " + std::to_string(int(n[r].item<float>())) + " labels of " + l.source,
                            "multiclass needs exactly one class per record; use --objective multilabel");
    };
    check(l.split.y_train, l.split.train);
    check(l.split.y_val, l.split.val);
    check(l.split.y_test, l.split.test);
  }
  return l;
}

// The store must hold what the model reads, prepared as its training data was.
void check_store_fits(const ShardStore& store, const Config& cfg, const CheckpointMeta* meta,
                      const std::string& model) {
  const auto& info = store.info();
  if (info.n_leads != cfg.ecg.n_leads || info.n_samples != cfg.ecg.n_samples)
    throw ConfigError("finetune: the store " + store.dir() + " holds " + std::to_string(info.n_leads) + " x " +
                          std::to_string(info.n_samples) + " records, the model reads " +
                          std::to_string(cfg.ecg.n_leads) + " x " + std::to_string(cfg.ecg.n_samples),
                      "prepare the store for this model (cgdmer prepare --rate/--seconds)");
  TrainingData d;
  if (!meta || !training_data_of(*meta, &d, model) || d.preprocessing_settings.empty() ||
      info.preprocessing_settings.empty())
    return;
  const auto diff = compare_preprocess_settings(d.preprocessing_settings, info.preprocessing_settings);
  const std::string breaking = describe_differences(diff, true);
  if (!breaking.empty())
    throw ConfigError(model + " was trained on data prepared differently from the store " + store.dir() +
                          " (" + breaking + ")",
                      "prepare the store with the model's settings (cgdmer export writes them)");
}

struct LossWeights {
  torch::Tensor pos_weight;    // (C) multilabel, undefined = none
  torch::Tensor class_weight;  // (C) multiclass, undefined = none
};

LossWeights loss_weights(const FinetuneOptions& o, const torch::Tensor& y_train) {
  LossWeights w;
  if (o.class_weights != "balanced") return w;
  const auto n = double(y_train.size(0));
  const auto pos = y_train.sum(0).clamp_min(1);
  if (o.objective == Objective::multilabel)
    w.pos_weight = ((n - y_train.sum(0)).clamp_min(0) / pos).to(torch::kFloat32);
  else
    w.class_weight = (n / (double(y_train.size(1)) * pos)).to(torch::kFloat32);
  return w;
}

torch::Tensor loss_of(const torch::Tensor& logits, const torch::Tensor& y, const LossWeights& w,
                      Objective objective) {
  if (objective == Objective::multilabel) {
    auto opt = F::BinaryCrossEntropyWithLogitsFuncOptions();
    if (w.pos_weight.defined()) opt.pos_weight(w.pos_weight);
    return F::binary_cross_entropy_with_logits(logits, y, opt);
  }
  auto opt = F::CrossEntropyFuncOptions();
  if (w.class_weight.defined()) opt.weight(w.class_weight);
  return F::cross_entropy(logits, y.argmax(1), opt);
}

// (n, L, S) signals of rows[begin, end).
torch::Tensor read_batch(const ShardStore& store, const std::vector<std::int64_t>& rows, std::size_t begin,
                         std::size_t end) {
  const std::int64_t L = store.info().n_leads, S = store.info().n_samples;
  auto x = torch::empty({std::int64_t(end - begin), L, S}, torch::kFloat32);
  for (std::size_t k = begin; k < end; ++k)
    store.read_signal(rows[k], x.data_ptr<float>() + std::int64_t(k - begin) * L * S);
  return x;
}

// The head's state as JSON (weights exact), for checkpoints.
nlohmann::json head_state(const torch::nn::Linear& head, const Labels& labels, Objective objective) {
  ClassifierHead h;
  h.task = labels.source;
  h.objective = objective;
  h.classes = labels.classes;
  h.weight = head->weight.detach().clone();
  h.bias = head->bias.detach().clone();
  h.thresholds.assign(labels.classes.size(), std::numeric_limits<double>::infinity());
  return to_json(h);
}

void load_head_state(torch::nn::Linear& head, const nlohmann::json& j, const std::string& path) {
  const ClassifierHead h = classifier_head_from_json(j, path);
  torch::NoGradGuard ng;
  if (h.weight.sizes() != head->weight.sizes())
    throw FormatError(path, "fine-tune checkpoint's head does not fit the model and labels");
  head->weight.copy_(h.weight);
  head->bias.copy_(h.bias);
}

double macro_auroc(const torch::Tensor& logits, const torch::Tensor& y) {
  return macro_roc_auc(to_doubles(logits), to_bytes(y), int(y.size(1))).macro;
}


// One fine-tuning run's moving parts.
struct FinetuneTrainer {
  FinetuneOptions o;
  std::string run;
  ShardStore store;
  Labels labels;
  Config cfg;
  CgDmer model{nullptr};
  CheckpointMeta pretrained_meta;  // of o.model (empty for random init)
  torch::nn::Linear head{nullptr};
  std::unique_ptr<torch::optim::AdamW> opt;
  std::vector<double> group_scale;  // LR factor per optimizer group
  std::vector<torch::Tensor> params;
  LossWeights weights;
  bool bf16 = false;
  bool full = false;
  torch::Tensor feat_train, feat_val, feat_test;  // linear mode: frozen features (N, D)

  FinetuneTrainer(FinetuneOptions opts, std::string run_dir)
      : o(std::move(opts)), run(std::move(run_dir)), store(ShardStore::open(o.data)) {}

  void build() {
    if (!o.model.empty()) {
      model = load_model_for_inference(o.model, &cfg, &pretrained_meta);
    } else {
      cfg = Config::load(o.random_init_config);
      model = random_init_model(cfg, o.seed);
    }
    check_store_fits(store, cfg, o.model.empty() ? nullptr : &pretrained_meta, o.model);
    labels = resolve_labels(o, store);
    if (!o.model.empty())
      refuse_pretraining_overlap(pretrained_meta, o.model, store, labels.split.test, "test records of " + labels.source,
                                 o.allow_pretraining_overlap, "finetune");
    full = o.mode == "full";
    bf16 = uses_bf16(o.precision, torch::kCPU);
    torch::manual_seed(o.seed);
    head = torch::nn::Linear(cfg.ecg.width, std::int64_t(labels.classes.size()));
    weights = loss_weights(o, labels.split.y_train);
    // Only what trains keeps its gradient: the head, plus the ECG tokenizer and encoder in
    // full mode (the text side, decoders and projection heads are carried along unchanged).
    for (auto& p : model->parameters()) p.set_requires_grad(false);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    std::vector<std::pair<double, bool>> keys;  // (lr scale, weight decay) per group
    auto add = [&](const std::string& name, const torch::Tensor& p, double scale) {
      const bool decay = uses_weight_decay(name, p);
      auto it = std::find(keys.begin(), keys.end(), std::make_pair(scale, decay));
      if (it == keys.end()) {
        keys.push_back({scale, decay});
        auto g = std::make_unique<torch::optim::AdamWOptions>(o.lr * scale);
        g->weight_decay(decay ? o.weight_decay : 0.0);
        groups.emplace_back(std::vector<torch::Tensor>{}, std::move(g));
        it = keys.end() - 1;
      }
      groups[std::size_t(it - keys.begin())].params().push_back(p);
      params.push_back(p);
    };
    if (full)
      for (auto& kv : model->named_parameters()) {
        const std::string& n = kv.key();
        if (n.rfind("ecg_tokenizer.", 0) != 0 && n.rfind("ecg_encoder.", 0) != 0) continue;
        kv.value().set_requires_grad(true);
        add(n, kv.value(), layer_lr_scale(n, cfg.ecg.depth, o.layer_decay));
      }
    for (auto& kv : head->named_parameters()) add("head." + kv.key(), kv.value(), 1.0);
    for (const auto& k : keys) group_scale.push_back(k.first);
    opt = std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(o.lr));
    spdlog::info("finetune {}: {} mode, {} on {} — train {} / val {} / test {} records, {} classes, {} trained "
                 "parameters",
                 run, o.mode, labels.source, store.dir(), labels.split.train.size(), labels.split.val.size(),
                 labels.split.test.size(), labels.classes.size(), [&] {
                   std::int64_t n = 0;
                   for (const auto& p : params) n += p.numel();
                   return n;
                 }());
    if (!full) {  // frozen encoder: features once
      model->eval();
      FeatureOptions fo;
      fo.precision = o.precision;
      fo.progress = o.progress;
      std::vector<std::int64_t> all = labels.split.train;
      all.insert(all.end(), labels.split.val.begin(), labels.split.val.end());
      all.insert(all.end(), labels.split.test.begin(), labels.split.test.end());
      const auto f = extract_features(model, store, all, fo).features;
      const auto a = std::int64_t(labels.split.train.size()), b = std::int64_t(labels.split.val.size());
      feat_train = f.narrow(0, 0, a);
      feat_val = f.narrow(0, a, b);
      feat_test = f.narrow(0, a + b, f.size(0) - a - b);
    }
  }

  std::int64_t steps_per_epoch() const {
    return (std::int64_t(labels.split.train.size()) + o.batch_size - 1) / o.batch_size;
  }

  LrSchedule schedule() const {
    LrSchedule s;
    s.base_lr = o.lr;
    s.warmup = full ? steps_per_epoch() : 0;
    s.total = steps_per_epoch() * o.epochs;
    return s;
  }

  // Logits (N, C) of `rows` (eval mode, no gradient); linear mode reads the frozen features.
  torch::Tensor logits_of(const std::vector<std::int64_t>& rows, const torch::Tensor& features) {
    torch::NoGradGuard ng;
    head->eval();
    if (!full) return head(features);
    model->eval();
    std::vector<torch::Tensor> out;
    for (std::size_t b = 0; b < rows.size(); b += 64) {
      const auto x = read_batch(store, rows, b, std::min(rows.size(), b + 64));
      torch::Tensor f;
      {
        AutocastGuard ac(bf16, torch::kCPU);
        f = model->ecg_features(x);
      }
      out.push_back(head(f.to(torch::kFloat32)));
    }
    return torch::cat(out);
  }

  // One epoch (1-based); returns the mean training loss.
  double train_epoch(int epoch) {
    const auto& rows = labels.split.train;
    std::vector<std::int64_t> order(rows.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = std::int64_t(i);
    std::mt19937_64 rng(o.seed * 1000003ULL + std::uint64_t(epoch));
    std::shuffle(order.begin(), order.end(), rng);
    torch::manual_seed(o.seed * 7919ULL + std::uint64_t(epoch));  // dropout
    head->train();
    if (full) model->train();
    const LrSchedule lr = schedule();
    std::int64_t step = std::int64_t(epoch - 1) * steps_per_epoch();
    double sum = 0;
    int n = 0;
    Progress prog("finetune epoch " + std::to_string(epoch) + "/" + std::to_string(o.epochs), steps_per_epoch(),
                  "batches");
    for (std::size_t b = 0; b < order.size(); b += std::size_t(o.batch_size), ++step) {
      const std::size_t e = std::min(order.size(), b + std::size_t(o.batch_size));
      std::vector<std::int64_t> idx(order.begin() + std::ptrdiff_t(b), order.begin() + std::ptrdiff_t(e));
      const auto sel = torch::tensor(idx, torch::kLong);
      const auto y = labels.split.y_train.index_select(0, sel);
      torch::Tensor f;
      if (full) {
        std::vector<std::int64_t> batch_rows;
        for (auto i : idx) batch_rows.push_back(rows[std::size_t(i)]);
        const auto x = read_batch(store, batch_rows, 0, batch_rows.size());
        AutocastGuard ac(bf16, torch::kCPU);
        f = model->ecg_features(x);
      } else {
        f = feat_train.index_select(0, sel);
      }
      const auto loss = loss_of(head(f.to(torch::kFloat32)), y, weights, o.objective);
      drop_gradients(params);
      loss.backward();
      const GradClip clip = gradient_clip(params, o.grad_clip);
      const double base = lr.at(step);
      auto& groups = opt->param_groups();
      for (std::size_t g = 0; g < groups.size(); ++g)
        static_cast<torch::optim::AdamWOptions&>(groups[g].options()).lr(base * group_scale[g]);
      adamw_step(*opt, clip.scale);
      sum += loss.item<double>();
      ++n;
      if (o.progress) prog.advance(1);
    }
    if (o.progress) prog.finish();
    return n ? sum / n : 0;
  }

  void save(int epoch, int best_epoch, double best_val) {
    CheckpointMeta meta;
    meta.config_toml = cfg.to_toml();
    meta.model_hash = cfg.model_hash();
    meta.train_state = {{"kind", "finetune"},
                        {"epoch", epoch},
                        {"best_epoch", best_epoch},
                        {"best_val_auroc", best_val},
                        {"head", head_state(head, labels, o.objective)}};
    const std::string path = checkpoint_path(run, epoch);
    if (full)
      save_checkpoint(path, *model, opt.get(), meta);
    else
      save_checkpoint(path, *head, opt.get(), meta);  // the encoder is the given model's
    if (best_epoch == epoch) mark_best_checkpoint(run, path);
    prune_checkpoints(run, 2);
  }

  // Restores a saved epoch (weights, head, optimizer); returns its train_state.
  nlohmann::json restore(const std::string& path, bool with_optimizer) {
    CheckpointReader r(path);
    if (full)
      r.load(*model, with_optimizer ? opt.get() : nullptr, "");
    else
      r.load(*head, with_optimizer ? opt.get() : nullptr, "");
    const auto& st = r.meta().train_state;
    if (!st.is_object() || st.value("kind", "") != "finetune")
      throw FormatError(path, "not a fine-tune checkpoint");
    load_head_state(head, st.at("head"), path);
    return st;
  }
};

struct EpochLine {
  int epoch = 0;
  double train_loss = 0, val_auroc = 0, lr = 0;
};

void plot_history(const std::string& run, const std::vector<EpochLine>& h) {
  Series loss{"train loss", {}, {}}, auc{"validation macro AUROC", {}, {}};
  for (const auto& e : h) {
    loss.x.push_back(e.epoch), loss.y.push_back(e.train_loss);
    auc.x.push_back(e.epoch), auc.y.push_back(e.val_auroc);
  }
  ChartOptions c;
  c.x_label = "epoch";
  c.title = "fine-tuning: training loss";
  c.y_label = "loss";
  save_line_chart((fs::path(run) / "finetune_loss.png").string(), {loss}, c);
  c.title = "fine-tuning: validation macro AUROC (the epoch is chosen on it)";
  c.y_label = "AUROC";
  save_line_chart((fs::path(run) / "finetune_val_auroc.png").string(), {auc}, c);
}

std::vector<EpochLine> read_history(const std::string& path, int up_to_epoch) {
  std::vector<EpochLine> h;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || j.value("epoch", 0) > up_to_epoch || j.value("epoch", 0) < 1) continue;
    h.push_back({j.at("epoch").get<int>(), j.at("train_loss").get<double>(), j.at("val_auroc").get<double>(),
                 j.at("lr").get<double>()});
  }
  return h;
}

void write_history(const std::string& path, const std::vector<EpochLine>& h) {
  std::string s;
  for (const auto& e : h)
    s += nlohmann::json{{"epoch", e.epoch}, {"train_loss", e.train_loss}, {"val_auroc", e.val_auroc}, {"lr", e.lr}}
             .dump() +
         "\n";
  write_file_atomic(path, s);
}

std::string fmt3(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f", v);
  return b;
}

}  // namespace

FinetuneResult run_finetune(const FinetuneOptions& given) {
  FinetuneOptions o = given;
  std::string run = given.out;
  const bool resuming = !given.resume.empty();
  if (resuming) {
    run = given.resume;
    const std::string f = (fs::path(run) / "finetune.json").string();
    if (!fs::exists(f))
      throw IoError(run, "not a fine-tune run folder (no finetune.json)", "pass the --out folder of `cgdmer finetune`");
    o = finetune_options_from_json(nlohmann::json::parse(read_file(f), nullptr, false), f);
    o.out = run;
    o.resume = run;
    o.progress = given.progress;
    o.stop_after_epoch = given.stop_after_epoch;
  }
  check_options(o);
  if (!resuming && fs::exists(fs::path(run) / "finetune.json"))
    throw ConfigError("finetune: " + run + " already holds a fine-tuning run",
                      "continue it with --resume " + run + ", or choose another --out");
  fs::create_directories(run);

  FinetuneTrainer t(o, run);
  t.build();
  if (!resuming) {
    write_file_atomic((fs::path(run) / "finetune.json").string(), finetune_options_json(o).dump(2) + "\n");
    write_file_atomic((fs::path(run) / "config.toml").string(), t.cfg.to_toml());
  }
  const std::string metrics_path = (fs::path(run) / "metrics.jsonl").string();

  int start = 1, best_epoch = 0;
  double best_val = -std::numeric_limits<double>::infinity();
  std::vector<EpochLine> history;
  if (resuming) {
    const std::string last = latest_checkpoint(run);
    if (!last.empty()) {
      const auto st = t.restore(last, true);
      start = st.at("epoch").get<int>() + 1;
      best_epoch = st.at("best_epoch").get<int>();
      best_val = st.at("best_val_auroc").get<double>();
      history = read_history(metrics_path, start - 1);
      spdlog::info("finetune: resuming {} after epoch {} (best so far: epoch {}, validation AUROC {:.4f})", run,
                   start - 1, best_epoch, best_val);
    }
  }
  for (int epoch = start; epoch <= o.epochs; ++epoch) {
    const double loss = t.train_epoch(epoch);
    const double val = macro_auroc(t.logits_of(t.labels.split.val, t.feat_val), t.labels.split.y_val);
    if (std::isfinite(val) && val > best_val) best_val = val, best_epoch = epoch;
    history.push_back({epoch, loss, val, t.schedule().at(std::int64_t(epoch) * t.steps_per_epoch() - 1)});
    write_history(metrics_path, history);
    t.save(epoch, best_epoch, best_val);
    spdlog::info("finetune epoch {}/{}: train loss {:.4f}, validation macro AUROC {:.4f}{}", epoch, o.epochs, loss,
                 val, best_epoch == epoch ? " (best)" : "");
    if (o.stop_after_epoch > 0 && epoch == o.stop_after_epoch && epoch < o.epochs) {
      FinetuneResult stopped;
      stopped.run_dir = run;
      stopped.best_epoch = best_epoch;
      stopped.best_val_auroc = best_val;
      return stopped;
    }
  }
  plot_history(run, history);
  if (best_epoch == 0)
    throw ConfigError("finetune: no epoch had a defined validation AUROC (" + t.labels.source +
                          ": every class lacks a positive or a negative in validation)",
                      "choose a larger validation split");

  // The chosen epoch; temperature and thresholds on validation only.
  t.restore(best_checkpoint_path(run), false);
  const torch::Tensor z_val = t.logits_of(t.labels.split.val, t.feat_val);
  const torch::Tensor z_test =
      t.labels.split.test.empty() ? torch::Tensor() : t.logits_of(t.labels.split.test, t.feat_test);
  const int C = int(t.labels.classes.size());
  const auto y_val = to_bytes(t.labels.split.y_val);
  ClassifierHead head = classifier_head_from_json(head_state(t.head, t.labels, o.objective), run);
  if (o.objective == Objective::multilabel) {
    head.temperature = fit_temperature_binary(to_doubles(z_val), y_val).temperature;
  } else {
    std::vector<int> targets;
    const auto am = t.labels.split.y_val.argmax(1);
    for (std::int64_t r = 0; r < am.size(0); ++r) targets.push_back(int(am[r].item<std::int64_t>()));
    head.temperature = fit_temperature_softmax(to_doubles(z_val), targets, C).temperature;
  }
  const auto p_val = to_doubles(head.probabilities(z_val));
  head.thresholds = choose_thresholds_on_validation(p_val, y_val, C);
  // The report's scores: logits whose sigmoid is the calibrated probability (multiclass:
  // logit of the softmax), so AUROC/AUPRC rank, thresholds and Brier/ECE read what classify says.
  auto report_scores = [&](const torch::Tensor& z) {
    if (o.objective == Objective::multilabel) return to_doubles(z / head.temperature);
    const auto p = head.probabilities(z).clamp(1e-7, 1 - 1e-7);
    return to_doubles(torch::log(p) - torch::log1p(-p));
  };
  FinetuneResult res;
  res.run_dir = run;
  res.best_epoch = best_epoch;
  res.best_val_auroc = best_val;
  res.n_train = std::int64_t(t.labels.split.train.size());
  res.n_val = std::int64_t(t.labels.split.val.size());
  res.n_test = std::int64_t(t.labels.split.test.size());
  if (z_test.defined()) {
    TrustOptions to;
    to.n_resamples = o.trust_resamples;
    res.test = std::make_shared<TrustReport>(trust_report(report_scores(z_val), y_val, report_scores(z_test),
                                                          to_bytes(t.labels.split.y_test), C, to));
  } else {
    spdlog::warn("finetune: {} has no test records; only validation figures are reported", t.labels.source);
  }

  std::vector<std::string> train_ids;
  for (auto r : t.labels.split.train) train_ids.push_back(t.store.record_id(r));
  head.provenance = {{"mode", o.mode},
                     {"from", o.model.empty() ? "random init (" + o.random_init_config + ")" : o.model},
                     {"store", o.data},
                     {"labels", t.labels.source},
                     {"best_epoch", best_epoch},
                     {"val_macro_auroc", best_val},
                     {"n_train", res.n_train},
                     {"n_val", res.n_val},
                     {"n_test", res.n_test},
                     {"thresholds_on", "calibrated probability, max F1 on validation"}};
  // Training data: the pretraining's (its stores, records and preprocessing contract), and
  // the fine-tuning records as one more store — the model has seen them.
  TrainingData td;
  if (!training_data_of(t.pretrained_meta, &td, o.model)) {
    td = TrainingData{};
    td.preprocessing_settings = t.store.info().preprocessing_settings;
  }
  TrainingStore tuned;
  tuned.store = o.data;
  tuned.dataset = t.store.info().dataset;
  tuned.preprocessing_hash = t.store.info().preprocessing_hash;
  tuned.store_records = t.store.size();
  tuned.record_ids = train_ids;
  td.stores.push_back(std::move(tuned));
  CheckpointMeta meta;
  meta.config_toml = t.cfg.to_toml();
  meta.model_hash = t.cfg.model_hash();
  meta.store_hash = t.store.info().preprocessing_hash;
  meta.store_records = t.store.size();
  meta.training_data = to_json(td);
  meta.classifier = to_json(head);
  res.classifier_path = classifier_model_path(run);
  save_checkpoint(res.classifier_path, *t.model, nullptr, meta);
  res.head = head;

  // results.json / results.md
  nlohmann::json hist = nlohmann::json::array();
  for (const auto& e : history)
    hist.push_back({{"epoch", e.epoch}, {"train_loss", e.train_loss}, {"val_auroc", e.val_auroc}});
  nlohmann::json thr = to_json(head).at("thresholds");
  nlohmann::json j{{"options", finetune_options_json(o)},
                   {"classes", head.classes},
                   {"best_epoch", best_epoch},
                   {"val_macro_auroc", best_val},
                   {"temperature", head.temperature},
                   {"thresholds", thr},
                   {"history", hist},
                   {"test", res.test ? trust_report_json(*res.test, head.classes) : nlohmann::json()}};
  write_file_atomic((fs::path(run) / "results.json").string(), j.dump(2) + "\n");
  std::ostringstream md;
  md << "# Fine-tuning: " << t.labels.source << " (" << o.mode << ")\n\n"
     << "- model: " << (o.model.empty() ? "random init (" + o.random_init_config + ")" : o.model) << "\n"
     << "- store: " << o.data << "; train " << res.n_train << " / validation " << res.n_val << " / test "
     << res.n_test << " records\n"
     << "- objective " << objective_name(o.objective) << ", class weights " << o.class_weights << ", " << o.epochs
     << " epochs, batch " << o.batch_size << ", lr " << o.lr;
  if (o.mode == "full") md << ", layer decay " << o.layer_decay;
  md << "\n- chosen on validation: epoch " << best_epoch << " (macro AUROC " << fmt3(best_val)
     << "), temperature " << fmt3(head.temperature) << ", per-class thresholds (max F1)\n\n";
  if (res.test)
    md << "Test (nothing was chosen on it), 95 % stratified bootstrap CIs (" << o.trust_resamples
       << " resamples):\n\n"
       << trust_report_markdown(*res.test, head.classes)
       << "\nThe report scores each record by z/T (multiclass: the logit of the calibrated softmax), so its "
          "'threshold (val)' column is on that logit scale; the classifier keeps it as a probability, "
          "sigmoid(threshold), which is what `classify` shows.\n";
  write_file_atomic((fs::path(run) / "results.md").string(), md.str());
  return res;
}

}  // namespace cgdmer
