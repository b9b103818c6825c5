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
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/paths.h"
#include "data/shard_store.h"
#include "data/splits.h"
#include "eval/features.h"
#include "eval/linear_probe.h"
#include "eval/merl_splits.h"
#include "eval/model_loading.h"
#include "eval/tasks.h"
#include "eval/zero_shot.h"
#include "metrics/roc_auc.h"
#include "plot/chart.h"
#include "text/tokenizer.h"

namespace cgdmer {
namespace {

namespace fs = std::filesystem;

struct TaskSplit {
  std::vector<std::int64_t> train, val, test;  // store rows
  torch::Tensor y_train, y_val, y_test;        // (n, C) float32, task order
};

torch::Tensor labels_of(const ShardStore& store, const std::vector<std::int64_t>& rows,
                        const LabelSetMatch& m, bool csn_bug,
                        const std::vector<std::string>& classes) {
  const int C = int(m.column.size());
  std::vector<std::uint8_t> y(rows.size() * C);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto all = store.labels(rows[r], m.set);
    for (int c = 0; c < C; ++c) y[r * C + c] = all[m.column[c]];
  }
  if (csn_bug) apply_csn_substring_bug(y, classes);
  auto t = torch::empty({std::int64_t(rows.size()), C}, torch::kFloat32);
  for (std::size_t k = 0; k < y.size(); ++k) t.data_ptr<float>()[k] = y[k];
  return t;
}

TaskSplit make_split(const ShardStore& store, const TaskDef& task, const EvaluateOptions& opt) {
  const auto m = match_label_set(task, store.info().label_sets, store.dir());
  TaskSplit s;
  bool has_folds = false;
  if (!opt.merl_splits.empty()) {  // MERL's released CSVs: membership and row order
    auto ms = merl_task_split(opt.merl_splits, task.name, store);
    if (ms.missing > 0) {
      std::string ex;
      for (const auto& k : ms.missing_examples) ex += (ex.empty() ? "" : ", ") + k;
      spdlog::warn("task {}: {} records of MERL's split files are not in {} (e.g. {}); the "
                   "numbers are over the {} that are",
                   task.name, ms.missing, store.dir(), ex,
                   ms.train.size() + ms.val.size() + ms.test.size());
    }
    s.train = std::move(ms.train), s.val = std::move(ms.val), s.test = std::move(ms.test);
  } else {
    std::vector<std::int64_t> kept;
    for (std::int64_t i = 0; i < store.size(); ++i) {
      const auto all = store.labels(i, m.set);
      bool any = false;
      for (int c : m.column) any = any || all[c];
      if (any) kept.push_back(i);  // MERL's split CSVs hold only records with ≥ 1 task label
      has_folds = has_folds || store.fold(i) > 0;
    }
    if (has_folds) {
      for (auto i : kept) {
        const int f = store.fold(i);
        (f == opt.test_fold ? s.test : f == opt.val_fold ? s.val : s.train).push_back(i);
      }
    } else {
      const auto a = train_test_split(std::int64_t(kept.size()), std::nullopt, 0.2, 42);
      const auto b = train_test_split(std::int64_t(a.train.size()), std::nullopt, 0.1, 42);
      for (auto k : a.test) s.test.push_back(kept[k]);
      for (auto k : b.train) s.train.push_back(kept[a.train[k]]);
      for (auto k : b.test) s.val.push_back(kept[a.train[k]]);
    }
  }
  if (s.train.empty() || s.test.empty())
    throw ConfigError(store.dir() + ": task " + task.name + " has " + std::to_string(s.train.size()) +
                          " training and " + std::to_string(s.test.size()) + " test records",
                      !opt.merl_splits.empty()
                          ? "the store holds too few of the records in MERL's split files"
                      : has_folds ? "check --val-fold/--test-fold against the store's strat_fold values"
                                  : "the store holds too few labelled records");
  const bool csn_bug = opt.merl_bugs && task.name == "csn";
  s.y_train = labels_of(store, s.train, m, csn_bug, task.classes);
  s.y_val = labels_of(store, s.val, m, csn_bug, task.classes);
  s.y_test = labels_of(store, s.test, m, csn_bug, task.classes);
  if (opt.merl_bugs) {  // sub-class column order: outputs trained on another class's column
    const auto perm = merl_train_label_permutation(task);
    s.y_train = s.y_train.index_select(1, torch::tensor(std::vector<std::int64_t>(perm.begin(), perm.end())));
  }
  return s;
}

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

std::string ratio_label(double r) {
  std::ostringstream s;
  s << r << "%";
  return s.str();
}

}  // namespace

std::vector<ResultRow> run_evaluation(const EvaluateOptions& opt) {
  if (opt.models.empty() && !opt.random_init)
    throw ConfigError("evaluate: no model given", "pass --model CKPT (and/or --random-init)");
  if (opt.stores.empty()) throw ConfigError("evaluate: no data store given", "pass --data STORE");
  if (opt.out_dir.empty()) throw ConfigError("evaluate: no output folder", "pass --out DIR");
  if (!opt.models.empty() && !opt.load_model)
    throw ConfigError("evaluate: no checkpoint loader given (EvaluateOptions::load_model)");
  for (double r : opt.ratios)
    if (!(r > 0 && r <= 100)) throw ConfigError("evaluate: ratios must be in (0, 100]");
  fs::create_directories(opt.out_dir);
  const std::string cache = opt.cache_dir.empty() ? opt.out_dir + "/cache" : opt.cache_dir;

  std::vector<ShardStore> stores;
  for (const auto& s : opt.stores) stores.push_back(ShardStore::open(s));
  // Task → store holding its labels.
  std::vector<std::pair<const TaskDef*, int>> plan;
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
    plan.push_back({&t, found});
  }
  if (plan.empty()) throw ConfigError("evaluate: none of the tasks has a store with its labels");

  std::vector<TaskSplit> splits;
  for (auto& [t, k] : plan) {
    splits.push_back(make_split(stores[k], *t, opt));
    spdlog::info("task {}: train {} / val {} / test {} records ({})", t->name,
                 splits.back().train.size(), splits.back().val.size(), splits.back().test.size(),
                 stores[k].dir());
  }

  std::map<std::string, std::string> prompts;
  std::string prompt_file = opt.prompts.empty() ? resource_path("assets/prompts/CKEPE_prompt.json")
                                                : opt.prompts;
  std::unique_ptr<WordPieceTokenizer> tok;
  if (opt.zeroshot) {
    prompts = load_prompts(prompt_file);
    tok = std::make_unique<WordPieceTokenizer>(WordPieceTokenizer::medcpt());
  }

  // Models: checkpoints, then the random-init baseline.
  struct ModelEntry {
    std::string name, key;
    std::function<CgDmer()> make;
  };
  std::vector<ModelEntry> models;
  for (const auto& path : opt.models)
    models.push_back({model_name(path, opt.models), model_file_key(path),
                      [path, &opt] { return opt.load_model(path); }});
  if (opt.random_init) {
    std::string cfg_src = opt.random_init_config;
    models.push_back({"random-init", "", [cfg_src, &opt]() {
                        if (!cfg_src.empty()) return random_init_model(Config::load(cfg_src), opt.seed);
                        auto m = opt.load_model(opt.models.at(0));
                        return random_init_model(m->config(), opt.seed);
                      }});
    if (cfg_src.empty() && opt.models.empty())
      throw ConfigError("evaluate --random-init needs --model or --random-init-config");
  }

  std::vector<ResultRow> rows;
  for (const auto& me : models) {
    CgDmer model = me.make();
    const bool linear = opt.linear, zs = opt.zeroshot;
    std::map<int, EcgFeatures> feats;  // per store
    for (std::size_t ti = 0; ti < plan.size(); ++ti) {
      const TaskDef& task = *plan[ti].first;
      const int k = plan[ti].second;
      if (!feats.count(k)) {
        FeatureOptions fo;
        fo.batch_size = opt.feature_batch;
        fo.precision = opt.precision;
        fo.cache_dir = me.key.empty() ? "" : cache;  // random init: nothing to key on
        fo.model_key = me.key;
        fo.want_features = linear;
        fo.want_shared = zs;
        feats[k] = extract_features(model, stores[k], {}, fo);
        if (!feats[k].from_cache)
          spdlog::info("{}: features of {} ECGs in {:.1f} s ({:.1f} ECGs/s)", me.name,
                       stores[k].size(), feats[k].seconds, stores[k].size() / feats[k].seconds);
      }
      const auto& F = feats[k];
      const auto& sp = splits[ti];
      if (linear) {
        for (double ratio : opt.ratios) {
          std::vector<std::int64_t> train_rows = sp.train;
          torch::Tensor ytr = sp.y_train;
          if (ratio < 100) {  // MERL: train_test_split(train, train_size=r/100, rs=42)
            const auto sub = train_test_split(std::int64_t(sp.train.size()), ratio / 100.0,
                                              std::nullopt, 42);
            train_rows.clear();
            for (auto i : sub.train) train_rows.push_back(sp.train[i]);
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
          ResultRow row{me.name, task.name, "linear", ratio, r.test_auc,
                        std::int64_t(sp.test.size()), std::int64_t(train_rows.size()),
                        r.chosen_epoch, r.val_auc, {}, opt.protocol};
          for (int c : r.test_detail.excluded) row.excluded.push_back(task.classes[c]);
          const double probe_s =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - tp0).count();
          spdlog::info("{} {} linear {}: AUC {:.4f} (epoch {}, val {:.4f}, n_train {}, {} epochs in {:.1f} s)",
                       me.name, task.name, ratio_label(ratio), r.test_auc, r.chosen_epoch,
                       r.val_auc, train_rows.size(), opt.epochs, probe_s);
          if (!row.excluded.empty())
            spdlog::warn("{} {}: {}", me.name, task.name,
                         describe_excluded(to_bytes(sp.y_test), int(task.classes.size()),
                                           r.test_detail.excluded, task.classes));
          if (opt.roc_plots && ratio == *std::max_element(opt.ratios.begin(), opt.ratios.end()))
            save_roc(opt.out_dir + "/roc_" + slug(me.name) + "_" + task.name + "_linear.png",
                     me.name + " · " + task.title + " · linear " + ratio_label(ratio),
                     r.test_scores, sp.y_test, task, r.test_detail);
          rows.push_back(row);
        }
      }
      if (zs) {
        const auto texts = prompts_for(prompts, task.prompt_keys, prompt_file);
        const auto cls = encode_class_prompts(model, *tok, texts, model->config().text.max_len);
        const auto scores = to_doubles(zero_shot_scores(rows_of(F.shared, sp.test), cls));
        const auto auc = macro_roc_auc(scores, to_bytes(sp.y_test), int(task.classes.size()));
        ResultRow row{me.name, task.name, "zeroshot", 100, auc.macro,
                      std::int64_t(sp.test.size()), 0, 0, 0, {}, "zero-shot"};
        for (int c : auc.excluded) row.excluded.push_back(task.classes[c]);
        spdlog::info("{} {} zero-shot: AUC {:.4f}", me.name, task.name, auc.macro);
        if (opt.roc_plots)
          save_roc(opt.out_dir + "/roc_" + slug(me.name) + "_" + task.name + "_zeroshot.png",
                   me.name + " · " + task.title + " · zero-shot", scores, sp.y_test, task, auc);
        rows.push_back(row);
      }
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
    md << "\nProtocol: `" << opt.protocol << "` — "
       << (opt.protocol == "merl"
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
  if (any_excl)
    md << "\n\\* some classes had no positive or no negative in the test split and were left out "
          "of the macro mean (see `excluded` in results.json).\n";
  return md.str();
}

void write_results(const std::string& out_dir, const std::vector<ResultRow>& rows,
                   const EvaluateOptions& opt) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& r : rows) {
    nlohmann::json o{{"model", r.model}, {"task", r.task}, {"mode", r.mode}, {"ratio", r.ratio},
                     {"auc", std::isfinite(r.auc) ? nlohmann::json(r.auc) : nlohmann::json()},
                     {"n_test", r.n_test}, {"excluded", r.excluded}, {"protocol", r.protocol}};
    if (r.mode == "linear") {
      o["n_train"] = r.n_train;
      o["chosen_epoch"] = r.chosen_epoch;
      o["val_auc"] = std::isfinite(r.val_auc) ? nlohmann::json(r.val_auc) : nlohmann::json();
    }
    j.push_back(o);
  }
  fs::create_directories(out_dir);
  write_file_atomic(out_dir + "/results.json", j.dump(2) + "\n");
  write_file_atomic(out_dir + "/results.md", results_markdown(rows, opt));
}

}  // namespace cgdmer
