// `cgdmer demo`: the whole workflow on the embedded real sample (data/sample/ptbxl, PTB-XL
// records at 100 Hz with their reports), as the same sub-commands a user would type:
//   prepare → pretrain (tiny, bf16 where native) → evaluate (linear probe at 1/10/100 % vs a
//   random-init encoder, zero-shot) → tsne → finetune (super classes) + classify of held-out
//   records with the fine-tuned classifier → report.md.
// Each step is run as a child `cgdmer <command>` so the printed command lines are exactly
// what reproduces it. Re-running the demo reuses a finished store and resumes a run.
// Split: pretraining on folds 1–7 (reports only, no labels), validated on fold 8; probing
// trains on folds 1–7, picks the epoch on fold 8 and reports fold 9 (PTB-XL's fold 10 is not
// in the sample). Fold 9 is never seen by pretraining, not even as its validation set.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "command.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/paths.h"
#include "core/progress.h"
#include "data/preprocess.h"
#include "data/preprocess_contract.h"
#include "data/shard_store.h"

namespace fs = std::filesystem;

namespace cgdmer::cli::cmd_demo {  // one namespace per command: apps/cgdmer builds as a unity build
namespace {

struct DemoFlags {
  std::string out = "demo-out";
  std::int64_t steps = 300;
  std::string precision = "auto";
  int probe_epochs = 100;
  // The store's scaling: MERL's min-max (the paper's), or mv (each lead's voltage kept). mv
  // lifted rhythm's linear probes at the shared store's scale but cost the demo's zero-shot
  // rhythm and retrieval on two seeds (docs/experiments.md, "What the input keeps").
  std::string norm = "minmax";
};

std::string quote(const std::string& s) {
  if (s.find_first_of(" \t'\"$") == std::string::npos) return s;
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs `cgdmer args...` as a child process; throws on a non-zero exit.
void run_step(const std::string& title, const std::vector<std::string>& args) {
  std::string line = "cgdmer";
  for (auto& a : args) line += " " + quote(a);
  std::printf("\n== %s\n$ %s\n", title.c_str(), line.c_str());
  std::fflush(stdout);
  std::vector<char*> argv;
  std::string self = "cgdmer";
  argv.push_back(self.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw Error("demo: cannot start a child process");
  if (pid == 0) {
    ::execv("/proc/self/exe", argv.data());
    std::perror("exec");
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error("demo step failed: " + title, "re-run `" + line + "` to see the full error");
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// First and last logged value of every loss term in metrics.jsonl, then whether the two
// modalities learned to find each other: the last step's in-batch top-1 and L_cons beside
// their chance level and the ceiling / floor set by duplicate reports, and the last
// validation's retrieval recall and effective ranks.
std::string loss_summary(const fs::path& metrics) {
  std::ifstream in(metrics);
  std::string line;
  nlohmann::json first, last, val;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;
    if (j.contains("val_loss")) val = j;
    if (!j.contains("loss")) continue;
    if (first.is_null()) first = j;
    last = j;
  }
  if (first.is_null()) return "(no metrics logged)\n";
  auto num = [](const nlohmann::json& j, const char* k) {
    return j.contains(k) && j[k].is_number() ? j[k].get<double>() : std::nan("");
  };
  std::ostringstream o;
  char buf[200];
  o << "| term | step " << first.value("step", 0) << " | step " << last.value("step", 0) << " |\n";
  o << "|---|---|---|\n";
  for (const char* k : {"loss", "loss_cons", "loss_e_rec", "loss_t_rec", "loss_orth", "loss_siglip"}) {
    if (!first.contains(k) || !first[k].is_number()) continue;
    std::snprintf(buf, sizeof buf, "| %s | %.4f | %.4f |\n", k, num(first, k), num(last, k));
    o << buf;
  }
  o << "\n### Do ECGs and reports find each other?\n\n"
    << "| measure (step " << last.value("step", 0) << ") | value | chance | duplicate-report bound |\n"
    << "|---|---:|---:|---:|\n";
  std::snprintf(buf, sizeof buf, "| in-batch top-1 ECG→report | %.3f | %.3f | ≤ %.3f |\n",
                num(last, "top1_e2t"), num(last, "top1_chance"), num(last, "top1_dup_ceiling"));
  o << buf;
  std::snprintf(buf, sizeof buf, "| in-batch top-1 report→ECG | %.3f | %.3f | ≤ %.3f |\n",
                num(last, "top1_t2e"), num(last, "top1_chance"), num(last, "top1_dup_ceiling"));
  o << buf;
  std::snprintf(buf, sizeof buf, "| L_cons (training batch) | %.3f | %.3f (ln B) | ≥ %.3f |\n",
                num(last, "loss_cons"), num(last, "loss_cons_chance"), num(last, "loss_cons_dup_floor"));
  o << buf;
  if (!val.is_null()) {
    for (const char* k : {"1", "5", "10"}) {
      const std::string key = std::string("val_recall@") + k;
      std::snprintf(buf, sizeof buf, "| validation recall@%s ECG→report | %.3f | %.3f | |\n", k,
                    num(val, key.c_str()), num(val, (key + "_chance").c_str()));
      o << buf;
    }
    o << "\nValidation (step " << val.value("step", 0) << "): zero-shot AUC ";
    std::snprintf(buf, sizeof buf, "%.4f", num(val, "val_zeroshot_auc"));
    o << buf << "; effective rank of";
    for (const char* k : {"ecg_pooled", "ecg_shared", "text_pooled", "text_shared"}) {
      std::snprintf(buf, sizeof buf, " %s %.1f", k, num(val, (std::string("val_erank_") + k).c_str()));
      o << buf << (std::string(k) == "text_shared" ? "." : ",");
    }
    o << "\n";
  }
  if (last.contains("pairs_per_s"))
    o << "\nthroughput at the last logged step: " << last["pairs_per_s"].get<double>()
      << " pairs/s\n";
  o << "\n![losses](run/loss_curves.png)\n\n![alignment](run/alignment.png)\n\n"
       "![effective rank](run/effective_rank.png)\n";
  return o.str();
}

// The fine-tuned classifier's findings on held-out records beside their true classes.
std::string classify_table(const fs::path& json_path, const std::map<std::string, std::string>& truth) {
  auto j = nlohmann::json::parse(slurp(json_path), nullptr, false);
  if (j.is_discarded() || !j.contains("records")) return "(no classify table)\n";
  std::ostringstream o;
  o << "`cgdmer classify` with the fine-tuned classifier on fold-9 record files (never pretrained or "
       "fine-tuned on): calibrated probability of each class; a finding is a class whose probability "
       "reaches its validation-chosen threshold.\n\n"
    << "| record | true classes | findings | probabilities |\n|---|---|---|---|\n";
  for (const auto& r : j["records"]) {
    std::vector<std::pair<double, std::string>> p;
    for (const auto& [c, v] : r["scores"].items()) p.push_back({v.get<double>(), c});
    std::sort(p.rbegin(), p.rend());
    std::string probs, found;
    char b[48];
    for (const auto& [v, c] : p) {
      std::snprintf(b, sizeof b, "%s%s %.2f", probs.empty() ? "" : ", ", c.c_str(), v);
      probs += b;
    }
    for (const auto& c : r["positive"]) found += (found.empty() ? "" : " ") + c.get<std::string>();
    const auto t = truth.find(r["path"].get<std::string>());
    o << "| " << r["id"].get<std::string>() << " | " << (t == truth.end() ? "" : t->second) << " | "
      << (found.empty() ? "—" : found) << " | " << probs << " |\n";
  }
  return o.str();
}

// "effective rank X (trustworthiness Y)" from a tsne sidecar JSON.
std::string tsne_stats(const fs::path& json_path) {
  auto j = nlohmann::json::parse(slurp(json_path), nullptr, false);
  if (j.is_discarded() || !j.contains("effective_rank")) return "(no statistics)";
  char buf[160];
  std::snprintf(buf, sizeof buf, "%d points, %d-wide features of effective rank %.1f, "
                "t-SNE trustworthiness@10 %.3f", j.value("points", 0), j.value("dims", 0),
                j["effective_rank"].get<double>(), j.value("trustworthiness_at_10", 0.0));
  return buf;
}

int run_demo(const DemoFlags& f) {
  const auto t0 = std::chrono::steady_clock::now();
  const fs::path out = fs::absolute(f.out);
  fs::create_directories(out);
  const std::string sample = resource_path("data/sample/ptbxl");
  const std::string store = (out / "store").string();
  const std::string run = (out / "run").string();
  const std::string eval = (out / "eval").string();
  const std::string eval_report_language = (out / "eval_report_language").string();
  const std::string tsne_png = (out / "tsne_super.png").string();
  const std::string tsne_random_png = (out / "tsne_super_random_init.png").string();

  if (fs::exists(fs::path(store) / "store.json")) {
    const std::string settings = ShardStore::open(store).info().preprocessing_settings;
    if (parse_preprocess_settings(settings, store).normalisation != parse_normalisation(f.norm))
      throw ConfigError(store + " was prepared with another normalisation than --norm " + f.norm + " (" +
                            settings + ")",
                        "give the demo a fresh --out, or the --norm that folder was made with");
    std::printf("\n== 1/6 prepare: reusing the finished store %s\n", store.c_str());
  } else {
    run_step("1/6 prepare the embedded PTB-XL sample (100 Hz, 10 s, reports + labels, --norm " + f.norm + ")",
             {"prepare", "--dataset", "ptbxl", "--src", sample, "--rate", "100", "--seconds", "10",
              "--norm", f.norm, "--out", store});
  }

  std::vector<std::string> pre = {"pretrain", "--config", "tiny", "--data", store,
                                  "--folds", "1", "2", "3", "4", "5", "6", "7",
                                  "--val", store, "--val-folds", "8",
                                  "--max-steps", std::to_string(f.steps),
                                  // validation every 100 steps: zero-shot, recall@K and
                                  // effective-rank curves (run/alignment.png, effective_rank.png)
                                  "--set", "train.val_every=100",
                                  "--precision", f.precision};
  bool resume = fs::exists(fs::path(run) / "checkpoints") && !fs::is_empty(fs::path(run) / "checkpoints");
  if (resume) {
    pre.insert(pre.end(), {"--resume", run});
  } else {
    pre.insert(pre.end(), {"--out", run});
  }
  run_step("2/6 pretrain CG-DMER (tiny) on folds 1-7 (validation: fold 8): ECG-report pairs, all five losses", pre);

  // Three random-init draws: one draw's AUC on these small test folds is itself noisy.
  run_step("3/6 evaluate: linear probe (1/10/100 %) vs random init, and zero-shot",
           {"evaluate", "--model", run, "--random-init", "--random-init-draws", "3", "--tasks",
            "ptbxl_super,ptbxl_form,ptbxl_rhythm", "--data", store, "--val-fold", "8", "--test-fold",
            "9", "--ratios", "1,10,100", "--epochs", std::to_string(f.probe_epochs), "--out", eval});
  // PTB-XL's reports are mostly German and Swedish; MERL's prompts are English only.
  run_step("3/6 zero-shot again, with prompts in the reports' languages",
           {"evaluate", "--model", run, "--random-init", "--random-init-draws", "3", "--mode",
            "zeroshot", "--tasks", "ptbxl_super,ptbxl_form,ptbxl_rhythm", "--data", store,
            "--val-fold", "8", "--test-fold", "9", "--prompts",
            resource_path("assets/prompts/ptbxl_report_language_prompt.json"), "--no-plots",
            "--out", eval_report_language});

  run_step("4/6 t-SNE of the pretrained encoder's features, coloured by PTB-XL superclass",
           {"tsne", "--model", run, "--data", store, "--labels", "super", "--out", tsne_png});
  run_step("4/6 t-SNE of a random-init encoder's features (for comparison)",
           {"tsne", "--random-init-config", "tiny", "--data", store, "--labels", "super", "--out",
            tsne_random_png});

  // 5/6: a classifier fine-tuned from the pretrained encoder, applied to held-out records.
  const std::string ft = (out / "finetune_super").string();
  if (!fs::exists(fs::path(ft) / "classifier.ckpt")) {
    if (fs::exists(fs::path(ft) / "finetune.json"))
      run_step("5/6 fine-tune (resuming)", {"finetune", "--resume", ft});
    else
      run_step("5/6 fine-tune the pretrained encoder on PTB-XL super-classes (full, 5 epochs; epoch, "
               "temperature and thresholds chosen on fold 8, test fold 9)",
               {"finetune", "--model", run, "--data", store, "--task", "ptbxl_super", "--val-fold", "8",
                "--test-fold", "9", "--mode", "full", "--epochs", "5", "--precision", f.precision, "--out", ft});
  }
  const std::string held_out_json = (out / "classify_fold9.json").string();
  std::vector<std::string> held_out_files;
  std::map<std::string, std::string> held_out_truth;  // file → its true super classes
  {
    const ShardStore st = ShardStore::open(store);
    const auto& names = st.info().label_sets.at("super");
    for (std::int64_t i = 0; i < st.size() && held_out_files.size() < 8; ++i) {
      if (st.fold(i) != 9) continue;
      const auto y = st.labels(i, "super");
      std::string truth;
      for (std::size_t c = 0; c < y.size(); ++c)
        if (y[c]) truth += (truth.empty() ? "" : " ") + names[c];
      if (truth.empty()) continue;
      held_out_files.push_back(st.source_path(i));
      held_out_truth[st.source_path(i)] = truth;
    }
  }
  std::vector<std::string> cls_args = {"classify", "--model", ft};
  cls_args.insert(cls_args.end(), held_out_files.begin(), held_out_files.end());
  cls_args.insert(cls_args.end(), {"--out", held_out_json, "--no-progress"});
  run_step("5/6 classify 8 held-out fold-9 records with the fine-tuned classifier", cls_args);

  // 6/6: report.md gathers the tables and pictures.
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::ostringstream md;
  md << "# cgdmer demo report\n\n"
     << "Data: the embedded real sample (`data/sample/ptbxl`: PTB-XL v1.0.1 records at 100 Hz "
        "with their free-text reports), prepared with `--norm " << f.norm << "`. Pretraining: `tiny` preset, folds 1-7 (validation fold 8), "
     << f.steps << " steps. Linear probe: train folds 1-7, epoch chosen on fold 8, test fold 9 "
        "(never seen by pretraining). "
        "Zero-shot: MERL's CKEPE class prompts.\n\n"
     << "Wall time of this demo run: " << format_duration(wall) << ".\n\n"
     << "## Pretraining losses (first and last logged step)\n\n"
     << loss_summary(fs::path(run) / "metrics.jsonl") << "\n"
     << "Curves: `run/` (PNG files next to `metrics.jsonl`).\n\n"
     << "## Evaluation\n\n" << slurp(fs::path(eval) / "results.md") << "\n"
     << "### Zero-shot with prompts in the reports' languages\n\n"
     << "PTB-XL's reports are about two thirds German or Swedish; MERL's CKEPE prompts are "
        "English. `assets/prompts/ptbxl_report_language_prompt.json` puts each class's German and "
        "Swedish statement wording before the CKEPE text (docs/experiments.md, \"Prompt "
        "language\").\n\n"
     << slurp(fs::path(eval_report_language) / "results.md") << "\n"
     << "## t-SNE\n\nPretrained: " << tsne_stats(tsne_png + ".json") << ".\n\n"
     << "Random init: " << tsne_stats(tsne_random_png + ".json") << ".\n\n"
     << "![pretrained](tsne_super.png)\n\n![random init](tsne_super_random_init.png)\n\n"
     << "## Fine-tuning (super classes) and the classifier on held-out records\n\n"
     << slurp(fs::path(ft) / "results.md") << "\n"
     << classify_table(held_out_json, held_out_truth) << "\n"
     << "A model this small, trained for minutes on ~480 ECG–report pairs, is a smoke test of the pipeline, "
        "not a result: see the README for real pretraining.\n";
  write_file_atomic((out / "report.md").string(), md.str());

  std::printf("\n== 6/6 done in %s\n", format_duration(wall).c_str());
  std::printf("report:      %s\n", (out / "report.md").c_str());
  std::printf("store:       %s\n", store.c_str());
  std::printf("run:         %s (config.toml, metrics.jsonl, curves, checkpoints)\n", run.c_str());
  std::printf("evaluation:  %s (results.json, results.md, ROC PNGs)\n", eval.c_str());
  std::printf("t-SNE:       %s, %s\n", tsne_png.c_str(), tsne_random_png.c_str());
  std::printf("fine-tuned:  %s (classifier.ckpt, results.md); held-out findings: %s\n", ft.c_str(),
              held_out_json.c_str());
  std::printf("\n%s", slurp(fs::path(eval) / "results.md").c_str());
  return 0;
}

RegisterCommand reg{
    {"demo", "run prepare → pretrain → evaluate → tsne → finetune → classify on the embedded real sample", 1,
     [](CLI::App& app) -> Runner {
       auto f = std::make_shared<DemoFlags>();
       app.add_option("--out", f->out, "output folder (re-running resumes)")->capture_default_str();
       app.add_option("--steps", f->steps, "pretraining steps")->capture_default_str()
           ->check(CLI::PositiveNumber);
       app.add_option("--precision", f->precision, "fp32 | bf16 | auto")->capture_default_str()
           ->check(CLI::IsMember({"fp32", "bf16", "auto"}));
       app.add_option("--probe-epochs", f->probe_epochs, "linear-probe epochs")
           ->capture_default_str()->check(CLI::PositiveNumber);
       app.add_option("--norm", f->norm, "store normalisation: minmax (MERL's) | mv (each lead's voltage kept)")
           ->capture_default_str()->check(CLI::IsMember({"minmax", "mv"}));
       return [f] { return run_demo(*f); };
     }}};

}  // namespace
}  // namespace cgdmer::cli::cmd_demo
