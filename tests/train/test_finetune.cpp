// `cgdmer finetune` on the embedded real sample (600 PTB-XL records at 100 Hz, cut to 2 s for
// the tiny test model; folds 1–7 train, 8 validation, 9 test):
//   - the layer-wise LR factors and the label CSV reader;
//   - a linear fine-tune end to end: the classifier file carries names, temperature and
//     thresholds, and `classify` on a held-out record file returns exactly the head applied to
//     that record's store row, calibrated, with positive ⇔ probability ≥ threshold;
//   - a full fine-tune stopped after epoch 1 and resumed gives the same classifier, bit for bit,
//     as the uninterrupted run;
//   - multiclass from a CSV (probabilities sum to 1), and the refusals: multi-label records
//     under multiclass, a test split the model was pretrained on.
#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "config/config.h"
#include "core/error.h"
#include "data/shard_store.h"
#include "eval/label_csv.h"
#include "eval/tasks.h"
#include "model/checkpoint_file.h"
#include "model/model_loading.h"
#include "scratch_dir.h"
#include "serve/classify.h"
#include "serve/ecg_overlays.h"
#include "serve/serving_model.h"
#include "tiny_run.h"
#include "train/finetune.h"

using namespace cgdmer;
namespace fs = std::filesystem;

namespace {

// The sample store (2 s at 100 Hz) and a TOML of the tiny test model, made once.
struct Sample {
  std::string store, config;
};

const Sample& sample() {
  static Sample s = [] {
    Sample x;
    const std::string root = cgdmer::testing::scratch_path("finetune");
    fs::remove_all(root);
    x.store = root + "/store";
    EXPECT_TRUE(cgdmer::testing::prepare_sample_store(x.store));
    auto ov = cgdmer::testing::tiny_overrides();
    ov.push_back("text.vocab_size=30522");
    x.config = root + "/tiny_test.toml";
    std::ofstream(x.config) << Config::load("tiny", ov).to_toml();
    return x;
  }();
  return s;
}

FinetuneOptions finetune_options(const std::string& out) {
  FinetuneOptions o;
  o.random_init_config = sample().config;
  o.data = sample().store;
  o.task = "ptbxl_super";
  o.val_fold = 8;
  o.test_fold = 9;
  o.epochs = 3;
  o.batch_size = 32;
  o.precision = Precision::fp32;
  o.trust_resamples = 50;
  o.progress = false;
  o.out = out;
  fs::remove_all(out);
  return o;
}

std::string write_text_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST(Finetune, LayerWiseLrDecayFollowsDepth) {
  // depth 3: blocks 0, 1, 2 at decay^3, ^2, ^1; tokenizer at decay^4; norms and head at 1.
  EXPECT_DOUBLE_EQ(layer_lr_scale("ecg_encoder.blocks.2.attn.qkv.weight", 3, 0.5), 0.5);
  EXPECT_DOUBLE_EQ(layer_lr_scale("ecg_encoder.blocks.0.mlp.fc1.bias", 3, 0.5), 0.125);
  EXPECT_DOUBLE_EQ(layer_lr_scale("ecg_tokenizer.lead_embed", 3, 0.5), 0.0625);
  EXPECT_DOUBLE_EQ(layer_lr_scale("ecg_encoder.pool_norm.weight", 3, 0.5), 1.0);
  EXPECT_DOUBLE_EQ(layer_lr_scale("head.weight", 3, 0.5), 1.0);
  EXPECT_DOUBLE_EQ(layer_lr_scale("ecg_encoder.blocks.1.attn.qkv.weight", 3, 1.0), 1.0);
}

TEST(Finetune, LabelCsvBothFormsAndItsErrors) {
  const ShardStore store = ShardStore::open(sample().store);
  const std::string dir = cgdmer::testing::scratch_path("label_csv");
  fs::create_directories(dir);
  SplitRules rules;
  rules.val_fold = 8, rules.test_fold = 9;
  // Names separated by ';', split column given: classes sorted, rows where the CSV says.
  const std::string a = store.record_id(0), b = store.record_id(1), c = store.record_id(2);
  auto t = read_label_csv(write_text_file(dir + "/names.csv", "id,split,labels\n" + a + ",train,AF;PVC\n" + b +
                                                              ",val,\n" + c + ",test,PVC\n"),
                          store, rules);
  ASSERT_EQ(t.classes, (std::vector<std::string>{"AF", "PVC"}));
  ASSERT_EQ(t.split.train, std::vector<std::int64_t>{0});
  ASSERT_EQ(t.split.val, std::vector<std::int64_t>{1});
  ASSERT_EQ(t.split.test, std::vector<std::int64_t>{2});
  EXPECT_EQ(t.split.y_train[0][0].item<float>(), 1.f);
  EXPECT_EQ(t.split.y_train[0][1].item<float>(), 1.f);
  EXPECT_EQ(t.split.y_val.sum().item<float>(), 0.f);
  EXPECT_EQ(t.split.y_test[0][1].item<float>(), 1.f);
  // 0/1 columns, no split column: the store's folds decide.
  t = read_label_csv(write_text_file(dir + "/cols.csv", "id,X,Y\n" + a + ",1,0\n" + b + ",0,1\n"), store, rules);
  ASSERT_EQ(t.classes, (std::vector<std::string>{"X", "Y"}));
  EXPECT_EQ(t.split.train.size() + t.split.val.size() + t.split.test.size(), 2u);
  // Errors name the file and the problem.
  auto msg = [&](const std::string& name, const std::string& text) {
    try {
      read_label_csv(write_text_file(dir + "/" + name, text), store, rules);
    } catch (const FormatError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(msg("unknown.csv", "id,X\nno-such-record,1\n").find("not records of the store"), std::string::npos);
  EXPECT_NE(msg("value.csv", "id,X\n" + a + ",yes\n").find("column X: 'yes' is not 0 or 1"), std::string::npos);
  EXPECT_NE(msg("twice.csv", "id,X\n" + a + ",1\n" + a + ",0\n").find("appears twice"), std::string::npos);
  EXPECT_NE(msg("split.csv", "id,split,X\n" + a + ",dev,1\n").find("'dev' is not train, val or test"),
            std::string::npos);
  EXPECT_NE(msg("noid.csv", "record,X\n" + a + ",1\n").find("no 'id' column"), std::string::npos);
}

TEST(Finetune, LinearClassifierIsCalibratedAndServedByClassify) {
  FinetuneOptions o = finetune_options(cgdmer::testing::scratch_path("ft_linear"));
  o.mode = "linear";
  o.epochs = 4;
  const FinetuneResult r = run_finetune(o);
  ASSERT_FALSE(r.classifier_path.empty());
  EXPECT_GE(r.best_epoch, 1);
  EXPECT_LE(r.best_epoch, 4);
  ASSERT_TRUE(r.test);
  EXPECT_EQ(r.n_test, r.test->n_test);
  EXPECT_GT(r.n_test, 50);  // fold 9 of the sample
  EXPECT_TRUE(fs::exists(o.out + "/results.md"));
  EXPECT_TRUE(fs::exists(o.out + "/finetune_val_auroc.png"));

  // The classifier model: found from the run folder, its head named and calibrated.
  Config cfg;
  std::string contract;
  std::optional<ClassifierHead> head;
  CgDmer model = load_serving_model(o.out, &cfg, &contract, &head);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->classes, find_task("ptbxl_super").classes);  // MERL's column order
  EXPECT_GT(head->temperature, 0);
  EXPECT_DOUBLE_EQ(head->temperature, r.head.temperature);
  ASSERT_EQ(head->thresholds.size(), 5u);
  EXPECT_FALSE(contract.empty());  // the store's preprocessing travels with the model

  // A held-out record file (fold 9) through classify = the head on its store row.
  const ShardStore store = ShardStore::open(sample().store);
  std::int64_t row = -1;
  for (std::int64_t i = 0; i < store.size() && row < 0; ++i)
    if (store.fold(i) == 9) row = i;
  ASSERT_GE(row, 0);
  ClassifyOptions co;
  co.model = o.out;
  co.record = store.source_path(row);
  co.precision = Precision::fp32;
  co.aggregate = "first";  // the 10-s file's first 2-s window: what `prepare` stored
  const ClassifyResult cr = run_classify(co);
  EXPECT_EQ(cr.mode, "classifier");
  ASSERT_EQ(cr.ranked.size(), 5u);
  auto x = torch::empty({1, store.info().n_leads, store.info().n_samples});
  store.read_signal(row, x.data_ptr<float>());
  torch::NoGradGuard ng;
  const auto p = head->probabilities(head->logits(model->ecg_features(x)))[0];
  for (std::size_t k = 0; k < cr.ranked.size(); ++k) {
    const auto& s = cr.ranked[k];
    const auto c = std::find(head->classes.begin(), head->classes.end(), s.label) - head->classes.begin();
    EXPECT_NEAR(s.score, p[c].item<double>(), 1e-5) << s.label;
    EXPECT_GE(s.score, 0.0);
    EXPECT_LE(s.score, 1.0);
    EXPECT_EQ(s.threshold, head->thresholds[std::size_t(c)]);
    EXPECT_EQ(s.positive, s.score >= s.threshold);
    if (k > 0) {
      EXPECT_GE(cr.ranked[k - 1].score, s.score);
    }
  }
  // Saliency of one class: the logit it explains is the head's, every patch >= 0, some > 0.
  const std::vector<float> xv(x.data_ptr<float>(), x.data_ptr<float>() + x.numel());
  const SaliencyOverlay sal = classifier_saliency(model, *head, xv, {}, 2);
  EXPECT_NEAR(sal.score, head->logits(model->ecg_features(x))[0][2].item<double>(), 1e-5);
  ASSERT_EQ(sal.per_patch.size(), std::size_t(cfg.ecg.n_leads * cfg.ecg_patches_per_lead()));
  EXPECT_GE(*std::min_element(sal.per_patch.begin(), sal.per_patch.end()), 0.f);
  EXPECT_GT(*std::max_element(sal.per_patch.begin(), sal.per_patch.end()), 0.f);
  // --zero-shot scores the same model with prompts instead.
  co.zero_shot = true;
  EXPECT_EQ(run_classify(co).mode, "zero-shot");
}

TEST(Finetune, FullFineTuneResumesExactly) {
  FinetuneOptions a = finetune_options(cgdmer::testing::scratch_path("ft_full_a"));
  a.mode = "full";
  a.epochs = 2;
  const FinetuneResult ra = run_finetune(a);

  FinetuneOptions b = finetune_options(cgdmer::testing::scratch_path("ft_full_b"));
  b.mode = "full";
  b.epochs = 2;
  b.stop_after_epoch = 1;
  const FinetuneResult stopped = run_finetune(b);
  EXPECT_TRUE(stopped.classifier_path.empty());
  EXPECT_FALSE(fs::exists(classifier_model_path(b.out)));
  // A fresh run into the same folder is refused; --resume alone continues it.
  EXPECT_THROW(run_finetune(b), ConfigError);
  FinetuneOptions resume;
  resume.resume = b.out;
  resume.progress = false;
  const FinetuneResult rb = run_finetune(resume);
  EXPECT_EQ(rb.best_epoch, ra.best_epoch);
  EXPECT_EQ(rb.head.temperature, ra.head.temperature);
  EXPECT_EQ(rb.head.thresholds, ra.head.thresholds);
  EXPECT_TRUE(torch::equal(rb.head.weight, ra.head.weight));
  EXPECT_TRUE(torch::equal(rb.head.bias, ra.head.bias));
  // The encoder was trained too, identically: compare one tokenizer weight of both files.
  CgDmer ma = load_model_for_inference(ra.classifier_path), mb = load_model_for_inference(rb.classifier_path);
  CgDmer init = random_init_model(Config::load(sample().config), a.seed);
  const auto pa = ma->named_parameters()["ecg_tokenizer.lead_embed"];
  EXPECT_TRUE(torch::equal(pa, mb->named_parameters()["ecg_tokenizer.lead_embed"]));
  EXPECT_FALSE(torch::equal(pa, init->named_parameters()["ecg_tokenizer.lead_embed"]));
}

TEST(Finetune, MulticlassFromCsvAndTheRefusals) {
  const ShardStore store = ShardStore::open(sample().store);
  const std::string dir = cgdmer::testing::scratch_path("ft_multiclass");
  fs::create_directories(dir);
  // One class per record: NORM or ABNORMAL from the super labels.
  const auto& sets = store.info().label_sets.at("super");
  const auto norm = std::find(sets.begin(), sets.end(), "NORM") - sets.begin();
  std::string csv = "id,labels\n";
  for (std::int64_t i = 0; i < store.size(); ++i)
    csv += store.record_id(i) + "," + (store.labels(i, "super")[std::size_t(norm)] ? "NORM" : "ABNORMAL") + "\n";
  FinetuneOptions o = finetune_options(dir + "/run");
  o.task.clear();
  o.labels_csv = write_text_file(dir + "/labels.csv", csv);
  o.mode = "linear";
  o.objective = Objective::multiclass;
  o.class_weights = "balanced";
  const FinetuneResult r = run_finetune(o);
  ASSERT_EQ(r.head.classes, (std::vector<std::string>{"ABNORMAL", "NORM"}));
  const auto p = r.head.probabilities(torch::randn({7, 2}));
  EXPECT_TRUE(torch::allclose(p.sum(1), torch::ones({7}), 1e-6, 1e-6));

  // PTB-XL super has records with several classes: not a multiclass problem.
  FinetuneOptions m = finetune_options(dir + "/bad");
  m.mode = "linear";
  m.objective = Objective::multiclass;
  try {
    run_finetune(m);
    ADD_FAILURE() << "multiclass on multi-label records was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("labels of ptbxl_super"), std::string::npos) << e.what();
  }

  // A "pretrained" model whose recorded pretraining holds the test fold is refused.
  Config cfg = Config::load(sample().config);
  CgDmer leaky = random_init_model(cfg, 1);
  TrainingData td;
  TrainingStore all{sample().store, store.info().dataset, store.info().preprocessing_hash, store.size(), {}};
  for (std::int64_t i = 0; i < store.size(); ++i) all.record_ids.push_back(store.record_id(i));
  td.stores.push_back(all);
  CheckpointMeta meta;
  meta.config_toml = cfg.to_toml();
  meta.model_hash = cfg.model_hash();
  meta.training_data = to_json(td);
  const std::string ckpt = dir + "/leaky.ckpt";
  save_checkpoint(ckpt, *leaky, nullptr, meta);
  FinetuneOptions l = finetune_options(dir + "/leak");
  l.random_init_config.clear();
  l.model = ckpt;
  l.mode = "linear";
  try {
    run_finetune(l);
    ADD_FAILURE() << "a test split inside the pretraining records was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("were used to pretrain"), std::string::npos) << e.what();
  }
  l.allow_pretraining_overlap = true;
  fs::remove_all(l.out);
  EXPECT_NO_THROW(run_finetune(l));
}
