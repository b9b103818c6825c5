// Task table, MERL label-bug emulation, MERL's 1 %/10 % subsets (vs sklearn fixture),
// prompt loading, zero-shot scoring on a tiny random model, results.md layout.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "data/label_sets.h"
#include "data/splits.h"
#include "eval/evaluate.h"
#include "eval/tasks.h"
#include "eval/zero_shot.h"
#include "model/model_loading.h"

using namespace cgdmer;

TEST(Tasks, ClassCountsAndPromptKeysExistInBundledPrompts) {
  const std::map<std::string, int> sizes{{"ptbxl_super", 5}, {"ptbxl_sub", 23}, {"ptbxl_form", 19},
                                         {"ptbxl_rhythm", 12}, {"cpsc2018", 9}, {"csn", 38}};
  const auto prompts =
      load_prompts(std::string(CGDMER_SOURCE_DIR) + "/assets/prompts/CKEPE_prompt.json");
  EXPECT_EQ(prompts.size(), 131u);
  for (const auto& t : all_tasks()) {
    EXPECT_EQ(int(t.classes.size()), sizes.at(t.name)) << t.name;
    EXPECT_NO_THROW(prompts_for(prompts, t.prompt_keys, "CKEPE")) << t.name;
  }
  EXPECT_EQ(find_task("ptbxl_super").classes,
            (std::vector<std::string>{"HYP", "NORM", "MI", "CD", "STTC"}));
  EXPECT_THROW(find_task("ptbxl_all"), ConfigError);
  EXPECT_EQ(parse_task_list("all").size(), 6u);
  EXPECT_THROW(prompts_for(prompts, {"NORM", "NOPE"}, "f.json"), ConfigError);
}

// The report-language prompts (tools/make_report_language_prompts.py) cover every PTB-XL
// super/form/rhythm class, and each one is its CKEPE text with report-language terms in front
// (first, so that truncation to max_len drops English rather than them).
TEST(Tasks, ReportLanguagePromptsCoverPtbxlTasksAndKeepCkepeText) {
  const std::string dir = std::string(CGDMER_SOURCE_DIR) + "/assets/prompts/";
  const auto ckepe = load_prompts(dir + "CKEPE_prompt.json");
  const auto rl = load_prompts(dir + "ptbxl_report_language_prompt.json");
  for (const char* name : {"ptbxl_super", "ptbxl_form", "ptbxl_rhythm"}) {
    const auto& t = find_task(name);
    const auto texts = prompts_for(rl, t.prompt_keys, "ptbxl_report_language_prompt.json");
    for (std::size_t c = 0; c < texts.size(); ++c) {
      const std::string& en = ckepe.at(t.prompt_keys[c]);
      ASSERT_GT(texts[c].size(), en.size() + 2) << t.prompt_keys[c];
      EXPECT_EQ(texts[c].substr(texts[c].size() - en.size()), en) << t.prompt_keys[c];
    }
  }
  EXPECT_EQ(rl.at("AFIB").rfind("vorhofflimmern", 0), 0u);
}

TEST(Tasks, MerlSubclassColumnOrderBug) {
  const auto& t = find_task("ptbxl_sub");
  const auto perm = merl_train_label_permutation(t);
  const int isc = class_index(t.classes, "ISC"), avb = class_index(t.classes, "AVB"),
            rao = class_index(t.classes, "RAO/RAE");
  // Output ISC is trained on AVB's column, AVB on RAO/RAE's, RAO/RAE on ISC's; rest identity.
  EXPECT_EQ(perm[isc], avb);
  EXPECT_EQ(perm[avb], rao);
  EXPECT_EQ(perm[rao], isc);
  int moved = 0;
  for (int k = 0; k < int(perm.size()); ++k) moved += perm[k] != k;
  EXPECT_EQ(moved, 3);
  const auto& order = merl_ptbxl_sub_train_order();
  EXPECT_EQ(order[class_index(t.classes, "NORM") + 1], "AVB");
  const auto id = merl_train_label_permutation(find_task("ptbxl_super"));
  EXPECT_EQ(id, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(Tasks, MerlCsnSubstringBug) {
  const auto& cls = find_task("csn").classes;
  const int C = int(cls.size());
  std::vector<std::uint8_t> y(2 * C, 0);
  y[class_index(cls, "AFIB")] = 1;       // row 0: AFIB → AF too
  y[C + class_index(cls, "STTC")] = 1;   // row 1: STTC → ST; 2AVB1 → 2AVB, AVB, VB
  y[C + class_index(cls, "2AVB1")] = 1;
  apply_csn_substring_bug(y, cls);
  EXPECT_EQ(y[class_index(cls, "AF")], 1);
  EXPECT_EQ(y[class_index(cls, "ST")], 0);
  for (const char* c : {"ST", "2AVB", "AVB", "VB"}) EXPECT_EQ(y[C + class_index(cls, c)], 1) << c;
  EXPECT_EQ(y[C + class_index(cls, "AF")], 0);
  EXPECT_EQ(y[C + class_index(cls, "1AVB")], 0);
}

TEST(Tasks, LabelSetMatchingByContent) {
  std::map<std::string, std::vector<std::string>> sets{
      {"diag", {"NORM", "MI", "STTC", "CD", "HYP"}}, {"other", {"X"}}};
  const auto m = match_label_set(find_task("ptbxl_super"), sets, "S");
  EXPECT_EQ(m.set, "diag");
  EXPECT_EQ(m.column, (std::vector<int>{4, 0, 1, 3, 2}));
  EXPECT_THROW(match_label_set(find_task("csn"), sets, "S"), ConfigError);
}

TEST(Subsets, MerlOnePercentAndTenPercentMatchSklearn) {
  std::ifstream f(std::string(CGDMER_SOURCE_DIR) + "/tests/fixtures/eval/subsets.json");
  const auto fx = nlohmann::json::parse(f);
  int checked = 0;
  for (const auto& c : fx["cases"]) {
    const auto s = train_test_split(c["n"].get<std::int64_t>(), c["ratio"].get<double>(),
                                    std::nullopt, 42);
    EXPECT_EQ(std::int64_t(s.train.size()), c["size"].get<std::int64_t>()) << c["task"];
    if (c.contains("train")) {
      EXPECT_EQ(s.train, c["train"].get<std::vector<std::int64_t>>()) << c["task"];
      ++checked;
    }
  }
  EXPECT_EQ(checked, 6);
  // peers.md §2b sizes: super 170 / 1708 of 17084.
  EXPECT_EQ(fx["cases"][0]["size"], 170);
  EXPECT_EQ(fx["cases"][1]["size"], 1708);
}

TEST(ZeroShot, PromptFileErrorsNameTheFile) {
  const auto dir = std::filesystem::path(::testing::TempDir());
  write_file_atomic((dir / "bad.json").string(), "{\"NORM\": 3}");
  try {
    load_prompts((dir / "bad.json").string());
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos);
  }
  write_file_atomic((dir / "notjson.json").string(), "NORM: normal");
  EXPECT_THROW(load_prompts((dir / "notjson.json").string()), FormatError);
  EXPECT_THROW(load_prompts((dir / "missing.json").string()), IoError);
}

TEST(ZeroShot, ScoresAreCosinesOfNormalisedEmbeddings) {
  Config cfg = Config::load("tiny");
  CgDmer model = random_init_model(cfg, 1);  // a model that cannot be built fails the test
  const auto tok = WordPieceTokenizer::medcpt();
  const auto cls = encode_class_prompts(model, tok, {"Normal ECG", "atrial fibrillation, irregular"}, 32);
  ASSERT_EQ(cls.dim(), 2);
  EXPECT_EQ(cls.size(0), 2);
  EXPECT_TRUE(torch::allclose(cls.norm(2, 1), torch::ones({2}), 1e-5, 1e-5));
  // Upper/lower case give the same embedding (MERL lower-cases).
  const auto cls2 = encode_class_prompts(model, tok, {"NORMAL ECG", "Atrial Fibrillation, IRREGULAR"}, 32);
  EXPECT_TRUE(torch::allclose(cls, cls2, 1e-6, 1e-6));
  torch::NoGradGuard ng;
  auto ecg = torch::rand({3, cfg.ecg.n_leads, cfg.ecg.n_samples});
  const auto e = model->ecg_shared(ecg);
  const auto s = zero_shot_scores(e, cls);
  ASSERT_EQ(s.sizes(), (std::vector<std::int64_t>{3, 2}));
  EXPECT_NEAR(s[1][0].item<double>(), torch::cosine_similarity(e[1], cls[0], 0).item<double>(), 1e-5);
  EXPECT_LE(s.abs().max().item<double>(), 1.0 + 1e-5);
}

TEST(Results, MarkdownHasPaperLayoutAndProtocol) {
  std::vector<ResultRow> rows;
  for (const char* m : {"cgdmer-tiny", "random-init"})
    for (double r : {1.0, 10.0, 100.0})
      rows.push_back({m, "ptbxl_super", "linear", r, 0.5 + r / 1000, 2158, 17084, 3, 0.6, {}, "honest", {}, {}});
  rows.push_back({"cgdmer-tiny", "ptbxl_super", "zeroshot", 100, 0.7123, 2158, 0, 0, 0, {"HYP"}, "zero-shot", {}, {}});
  EvaluateOptions o;
  const auto md = results_markdown(rows, o);
  EXPECT_NE(md.find("| Model | PTBXL-Super 1% | PTBXL-Super 10% | PTBXL-Super 100% |"), std::string::npos) << md;
  EXPECT_NE(md.find("| cgdmer-tiny | 50.10 | 51.00 | 60.00 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| random-init |"), std::string::npos);
  EXPECT_NE(md.find("Protocol: `honest`"), std::string::npos);
  EXPECT_NE(md.find("VALIDATION"), std::string::npos);
  EXPECT_NE(md.find("71.23*"), std::string::npos) << md;  // excluded class flagged
  o.protocol = ProbeProtocol::merl;
  EXPECT_NE(results_markdown(rows, o).find("maximum TEST AUC"), std::string::npos);
  const auto dir = std::string(::testing::TempDir()) + "/eval_results";
  write_results(dir, rows, o);
  std::ifstream jf(dir + "/results.json");
  const auto j = nlohmann::json::parse(jf);
  ASSERT_EQ(j.size(), rows.size());
  EXPECT_EQ(j[0]["mode"], "linear");
  EXPECT_EQ(j[0]["n_test"], 2158);
  EXPECT_EQ(j[6]["excluded"][0], "HYP");
}

// Several random-init draws get one row each and a mean ± sd row (sample sd, ×100).
TEST(Results, RandomInitDrawsGetAMeanAndSdRow) {
  std::vector<ResultRow> rows;
  const double aucs[] = {0.40, 0.50, 0.60};
  for (int d = 0; d < 3; ++d) {
    const std::string m = "random-init-" + std::to_string(d + 1);
    rows.push_back({m, "ptbxl_super", "linear", 100, aucs[d], 10, 20, 1, 0.5, {}, "honest", {}, {}});
    rows.push_back({m, "ptbxl_super", "zeroshot", 100, aucs[d] + 0.1, 10, 0, 0, 0, {}, "zero-shot", {}, {}});
  }
  const auto md = results_markdown(rows, EvaluateOptions{});
  EXPECT_NE(md.find("| random-init-2 | 50.00 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| random-init mean ± sd (3 draws) | 50.00 ± 10.00 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| random-init mean ± sd (3 draws) | 60.00 ± 10.00 | |"), std::string::npos) << md;
  EvaluateOptions bad;
  bad.random_init = true;
  bad.random_init_draws = 0;
  bad.models = {"x"};
  bad.tasks = {"ptbxl_super"};
  bad.stores = {"y"};
  bad.out_dir = ::testing::TempDir();
  EXPECT_THROW(run_evaluation(bad), ConfigError);
}

// A probe row's trust report: results.md gets one compact macro row with CIs, and
// results_per_class.md the per-class table (5 classes, 40 validation / 60 test rows).
TEST(Results, TrustMetricsGoToACompactTableAndAPerClassFile) {
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0, 1);
  auto make = [&](int n, std::vector<double>& s, std::vector<std::uint8_t>& y) {
    for (int i = 0; i < n; ++i)
      for (int c = 0; c < 5; ++c) {
        const std::uint8_t label = (i + c) % 3 == 0;
        y.push_back(label);
        s.push_back(noise(rng) + 1.5 * label);
      }
  };
  std::vector<double> vs, ts;
  std::vector<std::uint8_t> vy, ty;
  make(40, vs, vy);
  make(60, ts, ty);
  TrustOptions to;
  to.n_resamples = 50;
  ResultRow row{"m", "ptbxl_super", "linear", 100, 0.8, 60, 100, 3, 0.8, {}, "honest", ts, ty};
  row.trust = std::make_shared<const TrustReport>(trust_report(vs, vy, ts, ty, 5, to));
  const auto md = results_markdown({row}, EvaluateOptions{});
  EXPECT_NE(md.find("## Linear probing: macro metrics with 95 % CIs"), std::string::npos) << md;
  EXPECT_NE(md.find("| m | PTBXL-Super | 100% |"), std::string::npos) << md;
  EXPECT_EQ(md.find("| HYP |"), std::string::npos) << "per-class rows belong in results_per_class.md";
  const auto dir = std::string(::testing::TempDir()) + "/eval_trust";
  write_results(dir, {row}, EvaluateOptions{});
  std::ifstream f(dir + "/results_per_class.md");
  const std::string per_class((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  for (const char* c : {"| HYP |", "| NORM |", "| STTC |", "| **macro** |"})
    EXPECT_NE(per_class.find(c), std::string::npos) << c << "\n" << per_class;
}

// The one zero-shot scoring path (evaluation and pretraining validation): scores are the
// cosines of ECG and class-prompt embeddings, and the AUC is taken over them — a label
// vector that follows the scores gives AUC 1, its complement AUC 0.
TEST(ZeroShot, ScoreTaskRanksByCosine) {
  Config cfg = Config::load("tiny");
  CgDmer model = random_init_model(cfg, 1);
  const auto tok = WordPieceTokenizer::medcpt();
  const std::vector<std::string> prompts{"normal ecg", "atrial fibrillation"};
  const auto cls = encode_class_prompts(model, tok, prompts, cfg.text.max_len);
  // Four ECG embeddings: two close to class 0's prompt, two close to class 1's.
  auto ecg = torch::stack({cls[0], cls[0] * 0.9 + cls[1] * 0.1, cls[1], cls[1] * 0.9 + cls[0] * 0.1});
  ecg = ecg / ecg.norm(2, 1, true);
  const std::vector<std::uint8_t> labels{1, 0, 1, 0, 0, 1, 0, 1};
  const auto r = score_zero_shot_task(model, tok, prompts, ecg, labels);
  ASSERT_EQ(r.scores.size(), 8u);
  EXPECT_NEAR(r.scores[0], 1.0, 1e-5);  // ECG 0 is class 0's prompt embedding
  EXPECT_NEAR(r.auc.macro, 1.0, 1e-12);
  std::vector<std::uint8_t> flipped(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) flipped[i] = 1 - labels[i];
  EXPECT_NEAR(score_zero_shot_task(model, tok, prompts, ecg, flipped).auc.macro, 0.0, 1e-12);
  EXPECT_THROW(score_zero_shot_task(model, tok, prompts, ecg, {1, 0}), Error);
}

