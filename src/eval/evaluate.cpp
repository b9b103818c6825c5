// Evaluation driver: features → probes / zero-shot → results.json, results.md, ROC PNGs.
#include "eval/evaluate.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/paths.h"
#include "data/preprocess_contract.h"
#include "data/shard_store.h"
#include "data/splits.h"
#include "eval/features.h"
#include "eval/linear_probe.h"
#include "eval/pretraining_overlap.h"
#include "eval/task_split.h"
#include "eval/tasks.h"
#include "eval/zero_shot.h"
#include "metrics/roc_auc.h"
#include "model/checkpoint_file.h"
#include "model/model_loading.h"
#include "model/text_tokenizer.h"
#include "plot/chart.h"
#include "text/tokenizer.h"

namespace cgdmer {
namespace {

namespace fs = std::filesystem;

torch::Tensor rows_of(const torch::Tensor& all, const std::vector<std::int64_t>& rows) {
  return all.index_select(0, torch::tensor(rows, torch::kLong));
}

std::string model_name(const std::string& path, const std::vector<std::string>& all) {
  fs::path p(path);
  std::string stem = p.stem().string();
  int same = 0;
  for (const auto& o : all) same += fs::path(o).stem().string() == stem;
  if (same > 1 || stem == "best" || stem.rfind("step-", 0) == 0) {
    auto parent = p.parent_path();
    if (parent.filename() == "checkpoints") parent = parent.parent_path();
    stem = parent.filename().string() + "/" + stem;
  }
  return stem;
}

std::string slug(std::string s) {
  for (auto& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
  return s;
}

void save_roc(const std::string& path, const std::string& title, const std::vector<double>& scores,
              const torch::Tensor& labels, const TaskDef& task, const MultiLabelAuc& auc) {
  const int C = int(task.classes.size());
  const auto y = to_bytes(labels);
  std::vector<Series> series;
  for (int c = 0; c < C && series.size() < 12; ++c) {
    if (std::isnan(auc.per_class[c])) continue;
    const auto rc = roc_curve(column(scores, C, c), column(y, C, c));
    char name[96];
    std::snprintf(name, sizeof name, "%s (%.3f)", task.classes[c].c_str(), auc.per_class[c]);
    series.push_back({name, rc.fpr, rc.tpr});
  }
  ChartOptions o;
  o.title = title;
  o.x_label = "false positive rate";
  o.y_label = "true positive rate";
  o.equal_axes_01 = true;
  o.width = 720;
  o.height = 680;
  save_line_chart(path, series, o);
}

// A task and the index of the store that carries its labels, with its resolved split.
struct PlannedTask {
  const TaskDef* task = nullptr;
  int store = 0;
  TaskSplit split;
};

// Test records of each task that the model was pretrained on: refused (or, when allowed,
// warned about).
void check_pretraining_overlap(const CheckpointMeta& meta, const std::string& model,
                               const std::vector<PlannedTask>& plan,
                               const std::vector<ShardStore>& stores, bool allow) {
  if (meta.training_data.is_null()) {  // warned once, not once per task
    refuse_pretraining_overlap(meta, model, stores.front(), {}, "test records", allow, "evaluate");
    return;
  }
  for (const PlannedTask& p : plan)
    refuse_pretraining_overlap(meta, model, stores[std::size_t(p.store)], p.split.test,
                               "test records of task " + p.task->name, allow, "evaluate");
}

std::string ratio_label(double r) {
  std::ostringstream s;
  s << r << "%";
  return s.str();
}


void check_options(const EvaluateOptions& opt) {
  if (opt.models.empty() && !opt.random_init)
    throw ConfigError("evaluate: no model given", "pass --model CKPT (and/or --random-init)");
  if (opt.random_init && opt.random_init_config.empty() && opt.models.empty())
    throw ConfigError("evaluate --random-init needs --model or --random-init-config");
  if (opt.random_init_draws < 1)
    throw ConfigError("evaluate --random-init-draws must be >= 1, not " + std::to_string(opt.random_init_draws));
  if (opt.stores.empty()) throw ConfigError("evaluate: no data store given", "pass --data STORE");
  if (opt.out_dir.empty()) throw ConfigError("evaluate: no output folder", "pass --out DIR");
  for (double r : opt.ratios)
    if (!(r > 0 && r <= 100)) throw ConfigError("evaluate: ratios must be in (0, 100]");
  parse_device(opt.device);  // an unusable device fails before any work
}

// Each task on the first store that carries its labels, its split resolved there.
std::vector<PlannedTask> plan_tasks(const EvaluateOptions& opt, const std::vector<ShardStore>& stores) {
  SplitRules rules;
  rules.val_fold = opt.val_fold;
  rules.test_fold = opt.test_fold;
  rules.merl_splits = opt.merl_splits;
  rules.merl_bugs = opt.merl_bugs;
  std::vector<PlannedTask> plan;
  for (const auto& name : opt.tasks) {
    const TaskDef& t = find_task(name);
    int found = -1;
    for (std::size_t k = 0; k < stores.size() && found < 0; ++k) {
      try {
        match_label_set(t, stores[k].info().label_sets, stores[k].dir());
        found = int(k);
      } catch (const ConfigError&) {
      }
    }
    if (found < 0) {
      spdlog::warn("task {}: no given store carries its labels; skipped", t.name);
      continue;
    }
    PlannedTask p{&t, found, resolve_task_split(t, stores[std::size_t(found)], rules)};
    spdlog::info("task {}: train {} / val {} / test {} records ({})", t.name, p.split.train.size(),
                 p.split.val.size(), p.split.test.size(), stores[std::size_t(found)].dir());
    plan.push_back(std::move(p));
  }
  if (plan.empty()) throw ConfigError("evaluate: none of the tasks has a store with its labels");
  return plan;
}

// Lead names → indices in the store's lead order, ascending (case-insensitive names).
std::vector<int> lead_indices(const std::vector<std::string>& names, const ShardStore& store) {
  std::vector<int> out;
  const auto& have = store.info().lead_names;
  auto lower = [](std::string s) {
    for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  for (const auto& n : names) {
    int found = -1;
    for (std::size_t i = 0; i < have.size(); ++i)
      if (lower(have[i]) == lower(n)) found = int(i);
    if (found < 0) {
      std::string list;
      for (const auto& h : have) list += (list.empty() ? "" : ",") + h;
      throw ConfigError("evaluate --leads: the store " + store.dir() + " has no lead '" + n + "'",
                        "its leads are " + list);
    }
    if (std::find(out.begin(), out.end(), found) != out.end())
      throw ConfigError("evaluate --leads: lead '" + n + "' given twice");
    out.push_back(found);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A store prepared differently from the model's training data (lead order, rate, window,
// normalisation, resampler) would feed it other input than it learned from: refused, naming
// the fields. Another keep/fill recipe is an evaluation protocol's choice: a warning.
void check_preprocessing_contract(const CheckpointMeta& meta, const std::string& model_name,
                                  const std::vector<PlannedTask>& plan,
                                  const std::vector<ShardStore>& stores) {
  TrainingData d;
  if (!training_data_of(meta, &d, model_name) || d.preprocessing_settings.empty()) return;
  std::set<int> used;
  for (const auto& p : plan) used.insert(p.store);
  for (int i : used) {
    const ShardStore& st = stores[std::size_t(i)];
    if (st.info().preprocessing_settings.empty()) continue;
    auto diff = compare_preprocess_settings(d.preprocessing_settings, st.info().preprocessing_settings);
    for (auto& x : diff)  // longer records than the model's window are evaluated through windows
      if (x.field == "n" && std::stoll(x.other_value) > std::stoll(x.model_value)) x.breaking = false;
    const std::string breaking = describe_differences(diff, true);
    if (!breaking.empty())
      throw ConfigError(model_name + " was trained on data prepared differently from the store " +
                            st.dir() + " (" + breaking + ")",
                        "prepare the store with the model's settings (cgdmer export writes them to "
                        "config.json `preprocessing_contract`)");
    if (!diff.empty())
      spdlog::warn("{}: store {} uses another recipe than the model's training data ({})", model_name,
                   st.dir(), describe_differences(diff, false));
  }
}

struct ModelEntry {
  std::string name, key;        // key: feature-cache identity ("" = do not cache)
  std::function<CgDmer()> make;
};

// Checkpoints (each refused if its pretraining records overlap a test split), then the
// random-init baseline.
std::vector<ModelEntry> model_entries(const EvaluateOptions& opt, const std::vector<PlannedTask>& plan,
                                      const std::vector<ShardStore>& stores) {
  std::vector<ModelEntry> models;
  for (const auto& path : opt.models) {
    const std::string name = model_name(path, opt.models);
    models.push_back({name, model_file_key(path), [&opt, &plan, &stores, path, name] {
                        CheckpointMeta meta;
                        CgDmer m = load_model_for_inference(path, nullptr, &meta);
                        check_pretraining_overlap(meta, name, plan, stores,
                                                  opt.allow_pretraining_overlap);
                        check_preprocessing_contract(meta, name, plan, stores);
                        return m;
                      }});
  }
  if (opt.random_init)
    for (int d = 0; d < opt.random_init_draws; ++d)
      models.push_back({opt.random_init_draws == 1 ? "random-init" : "random-init-" + std::to_string(d + 1),
                        "", [&opt, d] {
                          const Config cfg = opt.random_init_config.empty()
                                                 ? load_model_for_inference(opt.models.at(0))->config()
                                                 : Config::load(opt.random_init_config);
                          return random_init_model(cfg, opt.seed + std::uint64_t(d));
                        }});
  return models;
}

// Frozen features of every store a task uses, once per store.
std::map<int, EcgFeatures> store_features(CgDmer& model, const ModelEntry& me,
                                          const std::vector<PlannedTask>& plan,
                                          const std::vector<ShardStore>& stores,
                                          const EvaluateOptions& opt) {
  std::map<int, EcgFeatures> feats;
  for (const auto& p : plan) {
    if (feats.count(p.store)) continue;
    FeatureOptions fo;
    fo.batch_size = opt.feature_batch;
    fo.precision = opt.precision;
    fo.cache_dir = me.key.empty() ? "" : (opt.cache_dir.empty() ? opt.out_dir + "/cache" : opt.cache_dir);
    fo.model_key = me.key;
    fo.want_features = opt.linear;
    fo.want_shared = opt.zeroshot;
    fo.leads = lead_indices(opt.leads, stores[std::size_t(p.store)]);
    fo.zero_fill_absent = opt.zero_fill_absent;
    fo.window_stride_seconds = opt.window_stride_seconds;
    const ShardStore& store = stores[std::size_t(p.store)];
    auto& f = feats[p.store] = extract_features(model, store, {}, fo);
    if (!f.from_cache)
      spdlog::info("{}: features of {} ECGs in {:.1f} s ({:.1f} ECGs/s)", me.name, store.size(),
                   f.seconds, store.size() / f.seconds);
  }
  return feats;
}

// One linear probe per label ratio on the task's frozen features.
void linear_rows(const ModelEntry& me, const PlannedTask& p, const EcgFeatures& F,
                 const EvaluateOptions& opt, std::vector<ResultRow>& rows) {
  const TaskDef& task = *p.task;
  const TaskSplit& sp = p.split;
  for (double ratio : opt.ratios) {
    std::vector<std::int64_t> train_rows = sp.train;
    torch::Tensor ytr = sp.y_train;
    if (ratio < 100) {  // MERL: train_test_split(train, train_size=r/100, rs=42)
      const auto sub = train_test_split(std::int64_t(sp.train.size()), ratio / 100.0, std::nullopt, 42);
      train_rows.clear();
      for (auto i : sub.train) train_rows.push_back(sp.train[std::size_t(i)]);
      ytr = sp.y_train.index_select(0, torch::tensor(sub.train, torch::kLong));
    }
    ProbeOptions po;
    po.epochs = opt.epochs;
    po.protocol = opt.protocol;
    po.seed = opt.seed;
    const auto tp0 = std::chrono::steady_clock::now();
    const auto r = linear_probe({rows_of(F.features, train_rows), ytr},
                                {rows_of(F.features, sp.val), sp.y_val},
                                {rows_of(F.features, sp.test), sp.y_test}, po);
    ResultRow row;
    row.model = me.name, row.task = task.name, row.mode = "linear", row.ratio = ratio;
    row.auc = r.test_auc;
    row.n_test = std::int64_t(sp.test.size()), row.n_train = std::int64_t(train_rows.size());
    row.chosen_epoch = r.chosen_epoch, row.val_auc = r.val_auc;
    row.protocol = probe_protocol_name(opt.protocol);
    for (int c : r.test_detail.excluded) row.excluded.push_back(task.classes[std::size_t(c)]);
    row.test_scores = r.test_scores;
    row.test_labels = to_bytes(sp.y_test);
    const double probe_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - tp0).count();
    spdlog::info("{} {} linear {}: AUC {:.4f} (epoch {}, val {:.4f}, n_train {}, {} epochs in {:.1f} s)",
                 me.name, task.name, ratio_label(ratio), r.test_auc, r.chosen_epoch, r.val_auc,
                 train_rows.size(), opt.epochs, probe_s);
    if (!row.excluded.empty())
      spdlog::warn("{} {}: {}", me.name, task.name,
                   describe_excluded(to_bytes(sp.y_test), int(task.classes.size()),
                                     r.test_detail.excluded, task.classes));
    if (opt.roc_plots && ratio == *std::max_element(opt.ratios.begin(), opt.ratios.end()))
      save_roc(opt.out_dir + "/roc_" + slug(me.name) + "_" + task.name + "_linear.png",
               me.name + " · " + task.title + " · linear " + ratio_label(ratio), r.test_scores,
               sp.y_test, task, r.test_detail);
    // After the timing above: the bootstrap is not probe time.
    if (opt.trust_resamples > 0 && !r.val_scores.empty() && !r.test_scores.empty()) {
      TrustOptions to;
      to.n_resamples = opt.trust_resamples;
      to.seed = opt.seed;
      row.trust = std::make_shared<const TrustReport>(
          trust_report(r.val_scores, to_bytes(sp.y_val), r.test_scores, row.test_labels,
                       int(task.classes.size()), to));
      spdlog::info("{} {} linear {}: macro AUPRC {:.4f}, F1 {:.4f}, sensitivity {:.4f}, "
                   "specificity {:.4f} at validation thresholds; ECE {:.4f}", me.name, task.name,
                   ratio_label(ratio), row.trust->macro.auprc.point, row.trust->macro.f1.point,
                   row.trust->macro.sensitivity.point, row.trust->macro.specificity.point,
                   row.trust->macro.ece.point);
    } else if (opt.trust_resamples > 0) {
      spdlog::warn("{} {}: no validation rows, so no thresholds chosen on validation; per-class "
                   "metrics with CIs left out", me.name, task.name);
    }
    rows.push_back(row);
  }
}

struct PromptSet {
  std::string file;
  std::map<std::string, std::string> prompts;
};

ResultRow zero_shot_row(CgDmer& model, const ModelEntry& me, const PlannedTask& p,
                        const EcgFeatures& F, const PromptSet& ps, const EvaluateOptions& opt) {
  const TaskDef& task = *p.task;
  const auto zs = score_zero_shot_task(model, text_tokenizer_for(model->config().text), prompts_for(ps.prompts, task.prompt_keys, ps.file),
                                       rows_of(F.shared, p.split.test), to_bytes(p.split.y_test));
  ResultRow row;
  row.model = me.name, row.task = task.name, row.mode = "zeroshot", row.ratio = 100;
  row.auc = zs.auc.macro, row.n_test = std::int64_t(p.split.test.size());
  row.protocol = "zero-shot";
  for (int c : zs.auc.excluded) row.excluded.push_back(task.classes[std::size_t(c)]);
  row.test_scores = zs.scores;
  row.test_labels = to_bytes(p.split.y_test);
  spdlog::info("{} {} zero-shot: AUC {:.4f}", me.name, task.name, zs.auc.macro);
  if (opt.roc_plots)
    save_roc(opt.out_dir + "/roc_" + slug(me.name) + "_" + task.name + "_zeroshot.png",
             me.name + " · " + task.title + " · zero-shot", zs.scores, p.split.y_test, task, zs.auc);
  return row;
}

}  // namespace

std::vector<ResultRow> run_evaluation(const EvaluateOptions& opt) {
  check_options(opt);
  fs::create_directories(opt.out_dir);
  std::vector<ShardStore> stores;
  for (const auto& s : opt.stores) stores.push_back(ShardStore::open(s));
  const std::vector<PlannedTask> plan = plan_tasks(opt, stores);
  PromptSet prompts;
  if (opt.zeroshot) {
    prompts.file = opt.prompts.empty() ? resource_path("assets/prompts/CKEPE_prompt.json") : opt.prompts;
    prompts.prompts = load_prompts(prompts.file);
  }
  std::vector<ResultRow> rows;
  for (const ModelEntry& me : model_entries(opt, plan, stores)) {
    CgDmer model = me.make();
    model->to(parse_device(opt.device));  // features and prompts run there; results come back to the CPU
    const auto feats = store_features(model, me, plan, stores, opt);
    for (const PlannedTask& p : plan) {
      if (opt.linear) linear_rows(me, p, feats.at(p.store), opt, rows);
      if (opt.zeroshot) rows.push_back(zero_shot_row(model, me, p, feats.at(p.store), prompts, opt));
    }
  }
  return rows;
}

std::string results_markdown(const std::vector<ResultRow>& rows, const EvaluateOptions& opt) {
  std::vector<std::string> models, tasks;
  std::vector<double> ratios;
  for (const auto& r : rows) {
    if (std::find(models.begin(), models.end(), r.model) == models.end()) models.push_back(r.model);
    if (std::find(tasks.begin(), tasks.end(), r.task) == tasks.end()) tasks.push_back(r.task);
    if (r.mode == "linear" && std::find(ratios.begin(), ratios.end(), r.ratio) == ratios.end())
      ratios.push_back(r.ratio);
  }
  std::sort(ratios.begin(), ratios.end());
  auto find = [&](const std::string& m, const std::string& t, const std::string& mode,
                  double ratio) -> const ResultRow* {
    for (const auto& r : rows)
      if (r.model == m && r.task == t && r.mode == mode && (mode != "linear" || r.ratio == ratio))
        return &r;
    return nullptr;
  };
  auto cell = [](const ResultRow* r) {
    if (!r || !std::isfinite(r->auc)) return std::string("–");
    char b[32];
    std::snprintf(b, sizeof b, "%.2f%s", r->auc * 100, r->excluded.empty() ? "" : "*");
    return std::string(b);
  };
  // Several random-init draws: one more row, each cell their mean ± sd (×100).
  std::vector<std::string> draws;
  for (const auto& m : models)
    if (m.rfind("random-init-", 0) == 0) draws.push_back(m);
  auto draws_cell = [&](const std::string& t, const std::string& mode, double ratio) {
    std::vector<double> v;
    for (const auto& m : draws)
      if (const auto* r = find(m, t, mode, ratio); r && std::isfinite(r->auc)) v.push_back(r->auc * 100);
    if (v.empty()) return std::string("–");
    double mean = 0, var = 0;
    for (double x : v) mean += x / double(v.size());
    for (double x : v) var += (x - mean) * (x - mean) / double(std::max<std::size_t>(1, v.size() - 1));
    char b[48];
    std::snprintf(b, sizeof b, "%.2f ± %.2f", mean, std::sqrt(var));
    return std::string(b);
  };
  const std::string draws_name =
      "random-init mean ± sd (" + std::to_string(draws.size()) + " draws)";
  std::ostringstream md;
  bool any_excl = false;
  for (const auto& r : rows) any_excl = any_excl || !r.excluded.empty();
  if (!ratios.empty()) {
    md << "## Linear probing (macro ROC-AUC ×100; paper Table 1 layout)\n\n| Model |";
    for (const auto& t : tasks)
      for (double r : ratios) md << " " << find_task(t).title << " " << ratio_label(r) << " |";
    md << "\n|---|";
    for (std::size_t i = 0; i < tasks.size() * ratios.size(); ++i) md << "---:|";
    md << "\n";
    for (const auto& m : models) {
      md << "| " << m << " |";
      for (const auto& t : tasks)
        for (double r : ratios) md << " " << cell(find(m, t, "linear", r)) << " |";
      md << "\n";
    }
    if (draws.size() > 1) {
      md << "| " << draws_name << " |";
      for (const auto& t : tasks)
        for (double r : ratios) md << " " << draws_cell(t, "linear", r) << " |";
      md << "\n";
    }
    md << "\nProtocol: `" << probe_protocol_name(opt.protocol) << "` — "
       << (opt.protocol == ProbeProtocol::merl
               ? "MERL's reporting: maximum TEST AUC over epochs, MultiStepLR([40]) stepped per "
                 "batch and per epoch (LR 1e-4 after 40 steps). Comparable to published tables, "
                 "optimistically biased."
               : "epoch chosen on the VALIDATION split, test AUC at that epoch.")
       << " Linear layer on frozen features (mean of all tokens → LayerNorm), BCE, Adam lr 1e-3, "
          "wd 1e-4, batch 16, "
       << opt.epochs << " epochs, seed " << opt.seed
       << ". Splits: "
       << (opt.merl_splits.empty() ? "PTB-XL strat_fold (val " + std::to_string(opt.val_fold) +
                                         ", test " + std::to_string(opt.test_fold) +
                                         "), others MERL's random 0.2 / 0.1 split"
                                   : "MERL's split CSVs (" + opt.merl_splits + ")")
       << ". 1 %/10 % = train_test_split(train, train_size=r, random_state=42). MERL label bugs: "
       << (opt.merl_bugs ? "reproduced" : "fixed") << ".\n\n";
  }
  bool any_trust = false;
  for (const auto& r : rows) any_trust = any_trust || r.trust;
  if (any_trust) {
    md << "## Linear probing: macro metrics with 95 % CIs\n\n| Model | Task | Ratio |";
    for (const auto& name : trust_metric_names()) md << " " << name << " |";
    md << "\n|---|---|---:|";
    for (std::size_t k = 0; k < trust_metric_names().size(); ++k) md << "---:|";
    md << "\n";
    for (const auto& m : models)
      for (const auto& t : tasks)
        for (double ratio : ratios) {
          const ResultRow* r = find(m, t, "linear", ratio);
          if (!r || !r->trust) continue;
          md << "| " << m << " | " << find_task(t).title << " | " << ratio_label(ratio) << " |";
          for (const auto& c : trust_metric_cells(r->trust->macro)) md << " " << c << " |";
          md << "\n";
        }
    md << "\nF1 / sensitivity / specificity at each class's threshold chosen on the VALIDATION "
          "split (max F1 there), never on test; Brier / ECE of sigmoid(logits). Macro over the "
          "classes with both labels in test (Brier / ECE: all). Percentile bootstrap intervals. "
          "Per class, with thresholds and the fitted temperature: results_per_class.md.\n\n";
  }
  bool any_zs = false;
  for (const auto& r : rows) any_zs = any_zs || r.mode == "zeroshot";
  if (any_zs) {
    md << "## Zero-shot (macro ROC-AUC ×100; paper Table 2 layout)\n\n| Model |";
    for (const auto& t : tasks) md << " " << find_task(t).title << " |";
    md << " Mean |\n|---|";
    for (std::size_t i = 0; i <= tasks.size(); ++i) md << "---:|";
    md << "\n";
    for (const auto& m : models) {
      md << "| " << m << " |";
      double sum = 0;
      int n = 0;
      for (const auto& t : tasks) {
        const auto* r = find(m, t, "zeroshot", 100);
        md << " " << cell(r) << " |";
        if (r && std::isfinite(r->auc)) sum += r->auc, ++n;
      }
      char b[32];
      std::snprintf(b, sizeof b, "%.2f", n ? sum / n * 100 : NAN);
      md << " " << b << " |\n";
    }
    if (draws.size() > 1) {
      md << "| " << draws_name << " |";
      for (const auto& t : tasks) md << " " << draws_cell(t, "zeroshot", 100) << " |";
      md << " |\n";
    }
    md << "\nZero-shot: cosine of L2-normalised f_sh^ecg and f_sh^text of the class prompt "
          "(lower-cased, WordPiece, max_len from the model config), raw scores; prompts: "
       << (opt.prompts.empty() ? "bundled MERL CKEPE_prompt.json" : opt.prompts) << ".\n\n";
  }
  md << "Test-set sizes:";
  for (const auto& t : tasks)
    for (const auto& r : rows)
      if (r.task == t) {
        md << " " << t << " " << r.n_test << ";";
        break;
      }
  md << "\n";
  if (!opt.leads.empty()) {
    md << "\nLeads:";
    for (const auto& l : opt.leads) md << " " << l;
    md << (opt.zero_fill_absent ? " — every record cut to these leads and given as a 12-lead "
                                  "input whose other leads are 0 (zero-filled)"
                                : " — every record cut to these leads, only their tokens encoded")
       << ".\n";
  }
  if (any_excl)
    md << "\n\\* some classes had no positive or no negative in the test split and were left out "
          "of the macro mean (see `excluded` in results.json).\n";
  return md.str();
}

std::string per_class_markdown(const std::vector<ResultRow>& rows) {
  std::ostringstream md;
  md << "# Linear probing: per-class metrics with 95 % CIs\n\n"
        "Per-class thresholds (max F1) and the temperature are chosen on the VALIDATION split and "
        "applied to test; AUROC / AUPRC / F1 / sensitivity / specificity macro over the classes "
        "with both labels in test, Brier / ECE over all classes. Intervals: percentile bootstrap, "
        "stratified for the first five (per class by label, macro by label pattern), by rows for "
        "Brier / ECE.\n\n";
  for (const auto& r : rows) {
    if (r.mode != "linear" || !r.trust) continue;
    char T[96];
    std::snprintf(T, sizeof T, "T = %.3f%s (macro ECE %.3f after scaling)",
                  r.trust->temperature.temperature,
                  r.trust->temperature.at_bound ? ", at its bracket end" : "",
                  r.trust->macro_ece_scaled);
    md << "## " << r.model << " · " << find_task(r.task).title << " " << ratio_label(r.ratio)
       << "\n\n" << trust_report_markdown(*r.trust, find_task(r.task).classes)
       << "Temperature fitted on validation: " << T << ".\n\n";
  }
  return md.str();
}

void write_results(const std::string& out_dir, const std::vector<ResultRow>& rows,
                   const EvaluateOptions& opt) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& r : rows) {
    nlohmann::json o{{"model", r.model}, {"task", r.task}, {"mode", r.mode}, {"ratio", r.ratio},
                     {"auc", std::isfinite(r.auc) ? nlohmann::json(r.auc) : nlohmann::json()},
                     {"n_test", r.n_test}, {"excluded", r.excluded}, {"protocol", r.protocol}};
    if (!opt.leads.empty())
      o["leads"] = {{"names", opt.leads}, {"input", opt.zero_fill_absent ? "zero-filled" : "tokens"}};
    if (r.mode == "linear") {
      o["n_train"] = r.n_train;
      o["chosen_epoch"] = r.chosen_epoch;
      o["val_auc"] = std::isfinite(r.val_auc) ? nlohmann::json(r.val_auc) : nlohmann::json();
      if (r.trust) o["trust"] = trust_report_json(*r.trust, find_task(r.task).classes);
    }
    j.push_back(o);
  }
  fs::create_directories(out_dir);
  write_file_atomic(out_dir + "/results.json", j.dump(2) + "\n");
  write_file_atomic(out_dir + "/results.md", results_markdown(rows, opt));
  bool any_trust = false;
  for (const auto& r : rows) any_trust = any_trust || r.trust;
  if (any_trust) write_file_atomic(out_dir + "/results_per_class.md", per_class_markdown(rows));
}

}  // namespace cgdmer
