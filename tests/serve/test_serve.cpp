// Tests of the serving commands (src/serve): embed, classify, retrieve, export, the Python
// loader (tools/load_exported.py) and the one-line errors with hints. One randomly
// initialised `tiny` model is saved once with the train checkpoint API (no training needed:
// every check here compares two computations of the same function, or checks a contract),
// and the embedded PTB-XL sample (data/sample) is prepared once at 100 Hz × 10 s (the tiny
// model's input) and once at 100 Hz × 5 s (a store of another input shape).
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "config/config.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "data/prepare.h"
#include "data/shard_store.h"
#include "io/ecg_readers.h"
#include "io/safetensors.h"
#include "model/weights.h"
#include "serve/classify.h"
#include "serve/embed.h"
#include "serve/export_model.h"
#include "serve/npy.h"
#include "serve/retrieve.h"
#include "serve/serving_model.h"
#include "text/tokenizer.h"
#include "model/checkpoint_file.h"
#include "model/model_loading.h"
#include "shared_data.h"

namespace fs = std::filesystem;
using namespace cgdmer;
using nlohmann::json;

namespace {

const std::string kSample = std::string(CGDMER_SOURCE_DIR) + "/data/sample";
const std::string kRecords = kSample + "/ptbxl/records100/00000";

constexpr int kSubsetRecords = 30;

std::string rec(int i) {
  char b[64];
  std::snprintf(b, sizeof b, "/%05d_lr.hea", i);
  return kRecords + b;
}

struct Scratch {
  std::string dir, ckpt, mismatch_ckpt, npy, text, tree, store, store_5s;
  Scratch() {
    dir = (fs::temp_directory_path() / ("cgdmer_test_serve_" + std::to_string(::getpid()))).string();
    fs::remove_all(dir);
    fs::create_directories(dir);
    Config cfg = Config::load("tiny");
    cfg.text.hf_weights.clear();
    torch::manual_seed(7);
    CgDmer model(cfg);
    CheckpointMeta meta;
    meta.config_toml = cfg.to_toml();
    meta.model_hash = cfg.model_hash();
    ckpt = dir + "/tiny.ckpt";
    save_checkpoint(ckpt, *model, nullptr, meta);
    // A checkpoint whose config is not the one its weights were made for (tiny weights
    // stored under a config with 64-wide heads): "a checkpoint of another config".
    Config other = cfg;
    other.head.dim = 64;
    CheckpointMeta bad = meta;
    bad.config_toml = other.to_toml();
    bad.model_hash = other.model_hash();
    mismatch_ckpt = dir + "/mismatch.ckpt";
    save_checkpoint(mismatch_ckpt, *model, nullptr, bad);
    npy = dir + "/a.npy";  // a wrong kind of file for a record
    const float v[2] = {1, 2};
    write_npy_f32(npy, v, {2});
    text = dir + "/notes.txt";  // a wrong kind of file for a checkpoint / prompts
    write_file_atomic(text, "hello\n");
    // A 30-record PTB-XL subset (first CSV rows, records linked from the sample) keeps the
    // store-wide passes (embed, retrieval evaluation) to a few seconds.
    const std::string src = dir + "/ptbxl_subset";
    fs::create_directories(src);
    {
      std::ifstream in(kSample + "/ptbxl/ptbxl_database.csv");
      std::string csv, line;
      for (int i = 0; i <= kSubsetRecords && std::getline(in, line); ++i) csv += line + "\n";
      write_file_atomic(src + "/ptbxl_database.csv", csv);
      fs::copy_file(kSample + "/ptbxl/scp_statements.csv", src + "/scp_statements.csv");
      fs::create_directory_symlink(kSample + "/ptbxl/records100", src + "/records100");
    }
    // A folder tree with records at two depths (embed searches folders recursively).
    for (auto [sub, i] : {std::pair<std::string, int>{"/tree/a", 1}, {"/tree/b/c", 2}, {"/tree/b/c", 3}}) {
      fs::create_directories(dir + sub);
      for (const char* ext : {".hea", ".dat"}) {
        const std::string name = fs::path(rec(i)).stem().string() + ext;
        fs::create_symlink(kRecords + "/" + name, dir + sub + "/" + name);
      }
    }
    tree = dir + "/tree";
    for (auto [out, seconds] : {std::pair<std::string*, double>{&store, 10.0}, {&store_5s, 5.0}}) {
      PrepareOptions o;
      o.dataset = "ptbxl";
      o.src = src;
      o.out = dir + "/store_" + std::to_string(int(seconds)) + "s";
      o.rate = 100;
      o.seconds = seconds;
      o.jobs = 2;
      o.progress = false;
      prepare_dataset(o);
      *out = o.out;
    }
  }
  ~Scratch() { fs::remove_all(dir); }
};

Scratch& scratch() {
  static Scratch s;
  return s;
}

struct RunResult {
  int rc;
  std::string out, err;
};
// Runs the built cgdmer binary; stdout/stderr captured through files.
RunResult run_cgdmer(const std::string& args) {
  const std::string o = scratch().dir + "/cli.out", e = scratch().dir + "/cli.err";
  const std::string cmd = std::string(CGDMER_BINARY) + " " + args + " >" + o + " 2>" + e;
  const int st = std::system(cmd.c_str());
  RunResult r{WIFEXITED(st) ? WEXITSTATUS(st) : -1, read_file(o), read_file(e)};
  return r;
}

bool have_python_torch() {
  return fs::exists("/usr/bin/python3") &&
         std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0;
}

}  // namespace

TEST(Npy, WritesVersion1HeaderAlignedTo64AndRoundTrips) {
  const std::string p = scratch().dir + "/roundtrip.npy";
  std::vector<float> v = {1.5f, -2.f, 3.25f, 0.f, 1e-7f, 42.f};
  write_npy_f32(p, v.data(), {2, 3});
  const std::string bytes = read_file(p);
  ASSERT_EQ(bytes.compare(0, 8, std::string("\x93NUMPY\x01\x00", 8)), 0);
  const std::size_t hlen = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  EXPECT_EQ((10 + hlen) % 64, 0u);
  EXPECT_EQ(bytes[10 + hlen - 1], '\n');
  EXPECT_NE(bytes.find("'shape': (2, 3)"), std::string::npos);
  EXPECT_EQ(bytes.size(), 10 + hlen + v.size() * 4);
  const NpyArray a = read_npy_f32(p);
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(a.data, v);
  write_file_atomic(scratch().dir + "/bad.npy", "not an npy");
  EXPECT_THROW(read_npy_f32(scratch().dir + "/bad.npy"), FormatError);
}

// A single record file must become exactly the input `prepare` stores for it, and the
// features must be the model's own ecg_features / ecg_shared of that input.
TEST(Embed, RecordFilesMatchStoreRowsAndModelForward) {
  auto& s = scratch();
  EmbedOptions o;
  o.model = s.ckpt;
  o.inputs = {rec(1), rec(2), rec(3), s.store};
  o.out = s.dir + "/emb/feat.npy";
  o.batch_size = 16;
  o.csv = true;
  o.dump_input = s.dir + "/emb/input.npy";
  o.progress = false;
  const EmbedResult r = run_embed(o);
  ShardStore store = ShardStore::open(s.store);
  const std::int64_t N = 3 + store.size();
  ASSERT_EQ(std::int64_t(r.ids.size()), N);
  EXPECT_EQ(r.ids[0], "00001_lr");
  EXPECT_EQ(r.ids[3], store.record_id(0));
  ASSERT_EQ(r.pooled.sizes(), (std::vector<std::int64_t>{N, 128}));
  ASSERT_EQ(r.shared.sizes(), (std::vector<std::int64_t>{N, 128}));
  EXPECT_LT((r.shared.norm(2, 1) - 1).abs().max().item<float>(), 1e-5);

  const NpyArray in = read_npy_f32(o.dump_input);
  ASSERT_EQ(in.shape, (std::vector<std::int64_t>{N, 12, 1000}));
  // Record 00001_lr from its file vs from the store written by prepare: same bytes.
  std::int64_t row1 = -1;
  for (std::int64_t i = 0; i < store.size(); ++i)
    if (store.record_id(i) == "1") row1 = i;  // stores name PTB-XL records by ecg_id
  ASSERT_GE(row1, 0);
  std::vector<float> stored(12 * 1000);
  store.read_signal(row1, stored.data());
  EXPECT_TRUE(std::equal(stored.begin(), stored.end(), in.data.begin()));
  // Same input; batch position/size may change BLAS blocking → float rounding only.
  EXPECT_LT((r.pooled[0] - r.pooled[3 + row1]).abs().max().item<float>(), 1e-5);

  // Files on disk equal the returned tensors; ids file has N lines; CSV has N+1 lines.
  const NpyArray p = read_npy_f32(s.dir + "/emb/feat.pooled.npy");
  const NpyArray h = read_npy_f32(s.dir + "/emb/feat.shared.npy");
  EXPECT_TRUE(torch::equal(torch::from_blob(const_cast<float*>(p.data.data()), {N, 128}), r.pooled));
  EXPECT_TRUE(torch::equal(torch::from_blob(const_cast<float*>(h.data.data()), {N, 128}), r.shared));
  std::ifstream ids(s.dir + "/emb/feat.ids.txt"), csv(s.dir + "/emb/feat.shared.csv");
  std::string line;
  int n_ids = 0, n_csv = 0;
  while (std::getline(ids, line)) ++n_ids;
  while (std::getline(csv, line)) ++n_csv;
  EXPECT_EQ(n_ids, N);
  EXPECT_EQ(n_csv, N + 1);

  // The model's own forward (fp32) on the dumped input.
  Config cfg;
  CgDmer model = load_model_for_inference(s.ckpt, &cfg);
  torch::NoGradGuard ng;
  auto x = torch::from_blob(const_cast<float*>(in.data.data()), {N, 12, 1000}).slice(0, 0, 8);
  EXPECT_LT((model->ecg_features(x) - r.pooled.slice(0, 0, 8)).abs().max().item<float>(), 1e-5);
  EXPECT_LT((model->ecg_shared(x) - r.shared.slice(0, 0, 8)).abs().max().item<float>(), 1e-5);
}

TEST(Embed, FolderIsSearchedRecursivelyAndKindSelectsOneFile) {
  auto& s = scratch();
  EmbedOptions o;
  o.model = s.ckpt;
  o.inputs = {s.tree};
  o.out = s.dir + "/emb2/pooled.npy";
  o.kind = "pooled";
  o.progress = false;
  const EmbedResult r = run_embed(o);
  EXPECT_EQ(r.ids, (std::vector<std::string>{"00001_lr", "00002_lr", "00003_lr"}));
  EXPECT_EQ(find_record_files(kRecords).size(), 600u);
  EXPECT_TRUE(fs::exists(o.out));
  EXPECT_FALSE(r.shared.defined());
  EXPECT_EQ(read_npy_f32(o.out).shape, (std::vector<std::int64_t>{std::int64_t(r.ids.size()), 128}));
}

TEST(Classify, RankedCosinesOfRecordAndLabels) {
  auto& s = scratch();
  ClassifyOptions o;
  o.model = s.ckpt;
  o.record = rec(5);
  o.labels = {"atrial fibrillation", "sinus rhythm", "left bundle branch block"};
  const ClassifyResult r = run_classify(o);
  ASSERT_EQ(r.ranked.size(), 3u);
  for (size_t i = 1; i < r.ranked.size(); ++i) EXPECT_GE(r.ranked[i - 1].score, r.ranked[i].score);
  // Recompute one score by hand: cosine of the two shared embeddings.
  Config cfg;
  CgDmer model = load_model_for_inference(s.ckpt, &cfg);
  const PreparedRecord pr = prepare_record_for_model(o.record, cfg);
  torch::NoGradGuard ng;
  auto e = model->ecg_shared(torch::from_blob(const_cast<float*>(pr.data.data()), {1, 12, 1000}));
  const auto tok = WordPieceTokenizer::medcpt();
  for (const auto& cs : r.ranked) {
    const auto enc = tok.encode(cs.label, cfg.text.max_len, true);
    auto ids = torch::tensor(std::vector<std::int64_t>(enc.ids.begin(), enc.ids.end())).unsqueeze(0);
    auto mask = torch::tensor(std::vector<std::int64_t>(enc.attention_mask.begin(), enc.attention_mask.end())).unsqueeze(0);
    const double want = (e * model->text_shared(ids, mask)).sum().item<double>();
    EXPECT_NEAR(cs.score, want, 1e-5) << cs.label;
  }
  const json j = json::parse(classify_json(r));
  EXPECT_EQ(j["record"], "00005_lr");
  EXPECT_EQ(j["ranking"].size(), 3u);

  ClassifyOptions d;  // default prompts, top 4
  d.model = s.ckpt;
  d.record = rec(5);
  d.top_k = 4;
  const ClassifyResult rd = run_classify(d);
  ASSERT_EQ(rd.ranked.size(), 4u);
  for (const auto& cs : rd.ranked) EXPECT_FALSE(cs.prompt.empty());
  // Latency contract: well under a second for tiny (loose bound: shared, loaded machine).
  EXPECT_LT(rd.infer_ms, 1000.0);
}

// A 2-lead WFDB record (leads II and V2 of 00005_lr, format 16, 1000 adu/mV) written to the
// scratch folder; returns its .hea path.
std::string write_two_lead_record(const std::string& dir) {
  const EcgRecord src = read_wfdb_record(rec(5));
  const int picks[2] = {1, 7};  // PTB-XL order: I II III AVR AVL AVF V1 V2 ...
  std::string dat;
  long sums[2] = {0, 0};
  for (std::int64_t t = 0; t < src.n_samples; ++t)
    for (int k = 0; k < 2; ++k) {
      const auto v = std::int16_t(std::lround(src.lead(picks[k])[t] * 1000.0f));
      sums[k] += v;
      dat.push_back(char(std::uint16_t(v) & 0xff));
      dat.push_back(char(std::uint16_t(v) >> 8));
    }
  const std::string hea = dir + "/two.hea";
  std::string h = "two 2 " + std::to_string(int(src.fs)) + " " + std::to_string(src.n_samples) + "\n";
  const char* names[2] = {"II", "V2"};
  for (int k = 0; k < 2; ++k)
    h += "two.dat 16 1000/mV 16 0 0 " + std::to_string(std::int16_t(std::uint16_t(sums[k] & 0xffff))) +
         " 0 " + names[k] + "\n";
  write_file_atomic(hea, h);
  write_file_atomic(dir + "/two.dat", dat);
  return hea;
}

// Records with fewer leads are encoded on their own leads' tokens (issue 16): classify says
// which leads it used and scores with ecg_shared(x, leads); embed mixes 12- and 2-lead records
// in one batch and gives each the features of its own lead set.
TEST(Classify, TwoLeadRecordIsEncodedOnItsLeadsOnly) {
  auto& s = scratch();
  const std::string two = write_two_lead_record(s.dir);
  Config cfg;
  CgDmer model = load_model_for_inference(s.ckpt, &cfg);
  const PreparedRecord pr = prepare_record_for_model(two, cfg);
  ASSERT_EQ(pr.leads, (std::vector<int>{1, 7}));  // MIMIC order: I II III aVR aVF aVL V1 V2 ...
  EXPECT_EQ(pr.lead_names(), (std::vector<std::string>{"II", "V2"}));
  ClassifyOptions o;
  o.model = s.ckpt;
  o.record = two;
  o.labels = {"sinus rhythm", "atrial fibrillation"};
  const ClassifyResult r = run_classify(o);
  EXPECT_EQ(r.leads, (std::vector<std::string>{"II", "V2"}));
  EXPECT_EQ(json::parse(classify_json(r))["leads"], json({"II", "V2"}));
  torch::NoGradGuard ng;
  auto x = torch::from_blob(const_cast<float*>(pr.data.data()), {1, 12, 1000});
  const auto e = model->ecg_shared(x, pr.leads);
  const auto tok = WordPieceTokenizer::medcpt();
  for (const auto& cs : r.ranked) {
    const auto enc = tok.encode(cs.label, cfg.text.max_len, true);
    auto ids = torch::tensor(std::vector<std::int64_t>(enc.ids.begin(), enc.ids.end())).unsqueeze(0);
    auto mask = torch::tensor(std::vector<std::int64_t>(enc.attention_mask.begin(), enc.attention_mask.end())).unsqueeze(0);
    EXPECT_NEAR(cs.score, (e * model->text_shared(ids, mask)).sum().item<double>(), 1e-5) << cs.label;
  }
  // Zero-filling the absent leads would be another input: the scores differ.
  EXPECT_GT((model->ecg_shared(x) - e).abs().max().item<double>(), 1e-4);

  EmbedOptions eo;
  eo.model = s.ckpt;
  eo.inputs = {rec(5), two};
  eo.out = s.dir + "/emb_two/f.npy";
  eo.progress = false;
  const EmbedResult er = run_embed(eo);
  ASSERT_EQ(er.pooled.size(0), 2);
  EXPECT_LT((er.pooled[1] - model->ecg_features(x, pr.leads)[0]).abs().max().item<float>(), 1e-5);
  const PreparedRecord full = prepare_record_for_model(rec(5), cfg);
  EXPECT_TRUE(full.leads.empty());
  auto xf = torch::from_blob(const_cast<float*>(full.data.data()), {1, 12, 1000});
  EXPECT_LT((er.pooled[0] - model->ecg_features(xf)[0]).abs().max().item<float>(), 1e-5);
}

// A checkpoint carries its training store's preprocessing (issue 16, self-describing models):
// serving applies that chain to a new file, and a store prepared differently is refused with
// the field named; another keep recipe only warns.
TEST(Contract, CheckpointPreprocessingIsAppliedAndEnforced) {
  auto& s = scratch();
  Config cfg;
  CgDmer model = load_model_for_inference(s.ckpt, &cfg);
  auto save_with = [&](const PreprocessOptions& po, const std::string& name) {
    CheckpointMeta meta;
    meta.config_toml = cfg.to_toml();
    meta.model_hash = cfg.model_hash();
    TrainingData d;
    d.stores.push_back({"somewhere", "ptbxl", po.settings_digest(), 0, {}});
    d.preprocessing_settings = po.settings_text();
    meta.training_data = to_json(d);
    const std::string path = s.dir + "/" + name;
    save_checkpoint(path, *model, nullptr, meta);
    return path;
  };
  PreprocessOptions po;
  po.target_fs = 100;
  po.target_samples = 1000;
  po.keep_samples = 500;  // trained on the first 5 s of each record, zero-padded
  const std::string keep_ckpt = save_with(po, "keep500.ckpt");
  std::string contract;
  load_serving_model(keep_ckpt, nullptr, &contract);
  EXPECT_EQ(contract, po.settings_text());
  const PreparedRecord r = prepare_record_for_model(rec(5), cfg, contract);
  const PreparedRecord plain = prepare_record_for_model(rec(5), cfg);
  for (int t = 500; t < 1000; ++t) EXPECT_EQ(r.data[std::size_t(t)], r.data[999]) << t;  // padding
  EXPECT_NE(r.data, plain.data);
  EXPECT_NO_THROW(open_store_for_model(s.store, cfg, contract));  // keep differs: a warning

  PreprocessOptions swapped = po;
  swapped.keep_samples = -1;
  std::swap(swapped.lead_order[0], swapped.lead_order[1]);
  const std::string swapped_ckpt = save_with(swapped, "swapped.ckpt");
  load_serving_model(swapped_ckpt, nullptr, &contract);
  try {
    open_store_for_model(s.store, cfg, contract);
    FAIL() << "a store with another lead order was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("leads: the model's contract says ii,i,"), std::string::npos) << e.what();
  }
  // A checkpoint without a contract (written before cgdmer recorded one) serves as before.
  load_serving_model(s.ckpt, nullptr, &contract);
  EXPECT_EQ(contract, "");
}

// Records of any length: window starts cover the record (a last window ends at its end).
TEST(Windows, StartsCoverTheRecord) {
  EXPECT_EQ(window_starts(10, 10, 0), (std::vector<double>{0}));
  EXPECT_EQ(window_starts(8, 10, 0), (std::vector<double>{0}));
  EXPECT_EQ(window_starts(30, 10, 0), (std::vector<double>{0, 10, 20}));
  EXPECT_EQ(window_starts(25, 10, 0), (std::vector<double>{0, 10, 15}));
  EXPECT_EQ(window_starts(25, 10, 5), (std::vector<double>{0, 5, 10, 15}));
  EXPECT_THROW(window_starts(25, 10, -1), ConfigError);
}

// A 54.3-s CPSC 2018 record (500 Hz) through tiny's 10-s window: classify scores six windows
// and aggregates; "first" is the first window alone; embed averages the windows.
TEST(Windows, LongRecordIsClassifiedAndEmbeddedThroughWindows) {
  auto& s = scratch();
  const std::string path = cgdmer::testing::shared_data("cpsc2018/A1988.mat");
  ClassifyOptions o;
  o.model = s.ckpt;
  o.record = path;
  o.labels = {"sinus rhythm", "atrial fibrillation", "right bundle branch block"};
  const ClassifyResult mean = run_classify(o);
  ASSERT_EQ(mean.window_starts.size(), 6u);  // 0 10 20 30 40 and 44.314 (ends at 54.314 s)
  EXPECT_NEAR(mean.window_starts.back(), 54.314 - 10, 1e-9);
  for (const auto& cs : mean.ranked) {
    ASSERT_EQ(cs.per_window.size(), 6u);
    double m = 0;
    for (double v : cs.per_window) m += v / 6;
    EXPECT_NEAR(cs.score, m, 1e-6) << cs.label;
  }
  o.aggregate = "max";
  const ClassifyResult mx = run_classify(o);
  for (const auto& cs : mx.ranked)
    EXPECT_NEAR(cs.score, *std::max_element(cs.per_window.begin(), cs.per_window.end()), 1e-6);
  o.aggregate = "first";
  const ClassifyResult first = run_classify(o);
  ASSERT_EQ(first.window_starts.size(), 1u);
  for (const auto& cs : first.ranked) {
    for (const auto& cm : mean.ranked) {
      if (cm.label == cs.label) {
        EXPECT_NEAR(cs.score, cm.per_window[0], 1e-5) << cs.label;
      }
    }
  }

  EmbedOptions eo;
  eo.model = s.ckpt;
  eo.inputs = {path};
  eo.out = s.dir + "/emb_long/f.npy";
  eo.progress = false;
  const EmbedResult er = run_embed(eo);
  Config cfg;
  CgDmer model = load_model_for_inference(s.ckpt, &cfg);
  const auto windows = prepare_record_windows(path, cfg, "", WindowOptions{});
  ASSERT_EQ(windows.size(), 6u);
  auto x = torch::empty({6, 12, 1000});
  for (int k = 0; k < 6; ++k)
    std::copy(windows[std::size_t(k)].data.begin(), windows[std::size_t(k)].data.end(), x.data_ptr<float>() + k * 12000);
  torch::NoGradGuard ng;
  EXPECT_LT((er.pooled[0] - model->ecg_features(x).mean(0)).abs().max().item<float>(), 1e-5);
  EXPECT_NEAR(er.shared[0].norm().item<float>(), 1.0f, 1e-5);
}

// Many records of mixed formats, lengths and lead sets in one table; files that cannot be read
// are listed with the reason and the rest go on (issue 16, batch use).
TEST(Batch, ClassifyTableAndEmbedListUnreadableFilesAndGoOn) {
  auto& s = scratch();
  const std::string two = write_two_lead_record(s.dir);
  const std::string long_rec = cgdmer::testing::shared_data("cpsc2018/A1988.mat");
  const std::string hl7 = cgdmer::testing::shared_data("clinical_formats/hl7_aecg/Example aECG.xml");
  ClassifyOptions o;
  o.model = s.ckpt;
  o.labels = {"sinus rhythm", "atrial fibrillation"};
  const ClassifyTable t = run_classify_batch(o, {rec(5), two, long_rec, hl7, s.npy, s.text}, false);
  ASSERT_EQ(t.rows.size(), 4u);
  ASSERT_EQ(t.failed.size(), 2u);
  EXPECT_EQ(t.failed[0].first, s.npy);
  EXPECT_NE(t.failed[0].second.find("a.npy"), std::string::npos) << t.failed[0].second;
  EXPECT_EQ(t.rows[1].leads, (std::vector<std::string>{"II", "V2"}));
  EXPECT_EQ(t.rows[2].windows, 6);
  // Each row equals the single-record path.
  o.record = long_rec;
  const ClassifyResult single = run_classify(o);
  for (const auto& cs : single.ranked) {
    const auto c = std::find(t.classes.begin(), t.classes.end(), cs.label) - t.classes.begin();
    EXPECT_NEAR(t.rows[2].scores[std::size_t(c)], cs.score, 1e-6) << cs.label;
  }
  EXPECT_EQ(t.rows[2].top, single.ranked.front().label);
  write_classify_table(t, s.dir + "/batch/table.json");
  const json j = json::parse(read_file(s.dir + "/batch/table.json"));
  EXPECT_EQ(j["records"].size(), 4u);
  EXPECT_EQ(j["failed"].size(), 2u);
  EXPECT_TRUE(j["records"][0]["scores"].contains("atrial fibrillation"));
  const std::string csv = read_file(s.dir + "/batch/table.csv");
  EXPECT_EQ(csv.rfind("path,id,leads,windows,top,sinus rhythm,atrial fibrillation\n", 0), 0u) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);
  EXPECT_THROW(write_classify_table(t, s.dir + "/batch/table.txt"), ConfigError);

  EmbedOptions eo;
  eo.model = s.ckpt;
  eo.inputs = {rec(5), s.npy, two};
  eo.out = s.dir + "/emb_batch/f.npy";
  eo.progress = false;
  const EmbedResult er = run_embed(eo);
  EXPECT_EQ(er.ids, (std::vector<std::string>{"00005_lr", "two"}));
  ASSERT_EQ(er.pooled.size(0), 2);
  ASSERT_EQ(er.failed.size(), 1u);
  EXPECT_TRUE(fs::exists(s.dir + "/emb_batch/f.failed.json"));
}

// A plain CSV (one column per lead, mV, the rate given by the caller) classifies like the
// WFDB record it was written from; without the rate it is refused with the reason.
TEST(Classify, CsvRecordWithItsRateGiven) {
  auto& s = scratch();
  const EcgRecord src = read_wfdb_record(rec(5));
  std::string csv;
  for (int l = 0; l < src.n_leads; ++l) csv += (l ? "," : "") + src.lead_names[std::size_t(l)];
  csv += "\n";
  char buf[32];
  for (std::int64_t t = 0; t < src.n_samples; ++t) {
    for (int l = 0; l < src.n_leads; ++l) {
      std::snprintf(buf, sizeof buf, "%s%.6f", l ? "," : "", double(src.lead(l)[t]));
      csv += buf;
    }
    csv += "\n";
  }
  write_file_atomic(s.dir + "/rec5.csv", csv);
  ClassifyOptions o;
  o.model = s.ckpt;
  o.labels = {"sinus rhythm", "atrial fibrillation"};
  o.record = rec(5);
  const ClassifyResult wfdb = run_classify(o);
  o.record = s.dir + "/rec5.csv";
  EXPECT_THROW(run_classify(o), Error);  // no rate
  o.read.csv_fs = src.fs;
  const ClassifyResult from_csv = run_classify(o);
  ASSERT_EQ(from_csv.ranked.size(), 2u);
  for (const auto& a : from_csv.ranked)
    for (const auto& b : wfdb.ranked)
      if (a.label == b.label) {
        EXPECT_NEAR(a.score, b.score, 1e-4) << a.label;
      }
}

TEST(Retrieve, RecallAtKOnHandMadeSimilarities) {
  // Row 0: own pair best → hit@1. Row 1: two others above → hit at 5 only. Row 2: tie with
  // one negative → rank 2 (ties resolved against the query).
  auto sim = torch::tensor({{0.9f, 0.1f, 0.2f}, {0.8f, 0.5f, 0.7f}, {0.3f, 0.6f, 0.6f}});
  const auto r = recall_at_k(sim, {1, 2, 5});
  EXPECT_NEAR(r[0], 1.0 / 3, 1e-9);
  EXPECT_NEAR(r[1], 2.0 / 3, 1e-9);
  EXPECT_NEAR(r[2], 1.0, 1e-9);
  // A collapsed model (every score equal) retrieves nothing.
  EXPECT_NEAR(recall_at_k(torch::ones({4, 4}), {1, 2})[1], 0.0, 1e-9);
  // With row 1's positives {0, 1} (same text as record 0) row 1 is a hit at 1; row 2 still
  // ties with a negative.
  std::vector<std::vector<std::int64_t>> pos = {{0, 1}, {0, 1}, {2}};
  const auto r2 = recall_at_k(sim, {1}, &pos);
  EXPECT_NEAR(r2[0], 2.0 / 3, 1e-9);
}

TEST(Retrieve, QueriesBothDirectionsAndEvaluates) {
  auto& s = scratch();
  RetrieveOptions o;
  o.model = s.ckpt;
  o.against = s.store;
  o.k = 5;
  o.progress = false;
  o.query = rec(7);
  const RetrievalResult a = run_retrieve(o);
  EXPECT_EQ(a.direction, "ecg->report");
  ASSERT_EQ(a.hits.size(), 5u);
  for (size_t i = 1; i < a.hits.size(); ++i) EXPECT_GE(a.hits[i - 1].score, a.hits[i].score);
  for (const auto& h : a.hits) EXPECT_FALSE(h.report.empty());
  o.query = "sinus rhythm, normal ecg";
  const RetrievalResult b = run_retrieve(o);
  EXPECT_EQ(b.direction, "report->ecg");
  ASSERT_EQ(b.hits.size(), 5u);
  EXPECT_LE(std::abs(b.hits[0].score), 1.0 + 1e-6);
  EXPECT_NO_THROW(json::parse(retrieval_json(b)));

  const RecallResult rr = run_retrieval_evaluation(o);
  EXPECT_GE(rr.n, kSubsetRecords - 3);  // PTB-XL rows without a usable report are left out
  EXPECT_LE(rr.n, kSubsetRecords);
  for (size_t k = 0; k < rr.ks.size(); ++k) {
    EXPECT_GE(rr.ecg_to_report[k], 0.0);
    EXPECT_LE(rr.ecg_to_report[k], rr.ecg_to_report_same_text[k] + 1e-12);
    if (k) {
      EXPECT_GE(rr.report_to_ecg[k], rr.report_to_ecg[k - 1]);
    }
  }
}

TEST(Export, SafetensorsHoldEveryTensorAndConfigDescribesInput) {
  auto& s = scratch();
  ExportOptions o{s.ckpt, s.dir + "/export"};
  const ExportResult r = run_export(o);
  Config cfg;
  CgDmer model = load_model_for_inference(s.ckpt, &cfg);
  const auto want = module_state(*model);
  const auto got = load_safetensors(o.out + "/model.safetensors");
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [k, v] : want) {
    ASSERT_TRUE(got.count(k)) << k;
    EXPECT_TRUE(torch::equal(got.at(k), v)) << k;
  }
  EXPECT_EQ(r.n_tensors, std::int64_t(want.size()));
  const json j = json::parse(read_file(o.out + "/config.json"));
  EXPECT_EQ(j["model_hash"], cfg.model_hash());
  EXPECT_EQ(j["preprocessing"]["n_samples"], 1000);
  EXPECT_DOUBLE_EQ(j["preprocessing"]["rate_hz"].get<double>(), 100.0);
  EXPECT_EQ(j["preprocessing"]["lead_order"][4], "aVF");
  EXPECT_EQ(j["config"]["ecg"]["width"], 128);
  const std::string md = read_file(o.out + "/PARAMETERS.md");
  EXPECT_NE(md.find("`ecg_encoder.pool_norm.weight` | (128,)"), std::string::npos);
}

// tools/load_exported.py reimplements the ECG encoder from the export with plain torch.
// Tolerance 1e-4 absolute: both sides run the same float32 ops, but in different orders
// (fused qkv reshapes, BLAS blocking, PyTorch 1.13 Python vs LibTorch builds); measured
// differences are ~1e-6 on LayerNorm-scale (O(1)) values, so 1e-4 catches any wrong op
// (a missing GELU, wrong eps or token order changes values by >1e-2) without flaking.
TEST(Export, PythonLoaderReproducesEmbed) {
  ASSERT_TRUE(have_python_torch()) << "/usr/bin/python3 with torch (python3-torch, installed by scripts/setup.sh) not available";
  auto& s = scratch();
  ExportOptions eo{s.ckpt, s.dir + "/export_py"};
  run_export(eo);
  EmbedOptions o;
  o.model = s.ckpt;
  o.inputs = {rec(10), rec(11), rec(12), rec(13)};
  o.out = s.dir + "/py/feat.npy";
  o.dump_input = s.dir + "/py/input.npy";
  o.progress = false;
  run_embed(o);
  const std::string cmd = "/usr/bin/python3 " + std::string(CGDMER_SOURCE_DIR) + "/tools/load_exported.py " +
                          eo.out + " --input " + o.dump_input + " --compare-pooled " + s.dir +
                          "/py/feat.pooled.npy --compare-shared " + s.dir + "/py/feat.shared.npy --tol 1e-4 > " +
                          s.dir + "/py/result.json";
  const int st = std::system(cmd.c_str());
  const std::string out = read_file(s.dir + "/py/result.json");
  ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << out;
  const json j = json::parse(out);
  EXPECT_EQ(j["n"], 4);
  EXPECT_LE(j["pooled_max_abs_diff"].get<double>(), 1e-4);
  EXPECT_LE(j["shared_max_abs_diff"].get<double>(), 1e-4);
  std::printf("python loader max abs diff: pooled %.3g, shared %.3g\n", j["pooled_max_abs_diff"].get<double>(),
              j["shared_max_abs_diff"].get<double>());
}

TEST(Errors, LibraryCallsThrowWithHints) {
  auto& s = scratch();
  const std::string& text = s.text;
  auto expect_hint = [](auto&& fn, const std::string& needle) {
    try {
      fn();
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_FALSE(e.hint().empty()) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
  };
  expect_hint([&] { load_serving_model(s.dir + "/missing.ckpt", nullptr); }, "missing.ckpt");
  expect_hint([&] { load_serving_model(text, nullptr); }, "not a cgdmer checkpoint");
  Config cfg = Config::load("tiny");
  expect_hint([&] { prepare_record_for_model(s.dir + "/a.npy", cfg); }, "a.npy");
  expect_hint([&] { open_store_for_model(s.store_5s, cfg); }, "expects 12 x 1000");
  expect_hint([&] { open_store_for_model(kRecords, cfg); }, "not a shard store");
  expect_hint([&] { load_serving_model(s.mismatch_ckpt, nullptr); }, "mismatch.ckpt");
}

TEST(Errors, CliExitsNonZeroWithOneLineReasonAndHint) {
  ASSERT_TRUE(fs::exists(CGDMER_BINARY)) << "cgdmer binary not built: " << CGDMER_BINARY;
  auto& s = scratch();
  const std::vector<std::string> cases = {
      "embed --model " + s.dir + "/nope.ckpt " + rec(1) + " --out " + s.dir + "/x.npy",
      "embed --model " + s.dir + "/notes.txt " + rec(1) + " --out " + s.dir + "/x.npy",
      "embed --model " + s.ckpt + " " + s.dir + "/a.npy --out " + s.dir + "/x.npy",
      "embed --model " + s.ckpt + " " + s.store_5s + " --out " + s.dir + "/x.npy",
      "classify --model " + s.ckpt + " " + s.dir + "/nope.hea",
      "classify --model " + s.dir + "/notes.txt " + rec(1),
      "classify --model " + s.ckpt + " " + rec(1) + " --prompts " + s.dir + "/notes.txt",
      "retrieve --model " + s.ckpt + " --query " + rec(1) + " --against " + s.store_5s,
      "retrieve --model " + s.ckpt + " --query " + s.dir + "/a.npy --against " + s.store,
      "retrieve --model " + s.ckpt + " --evaluate --against " + kRecords,
      "export --model " + s.dir + "/mismatch.ckpt --out " + s.dir + "/exp_bad",
      "export --model " + s.dir + "/notes.txt --out " + s.dir + "/exp_bad",
  };
  for (const auto& c : cases) {
    const RunResult r = run_cgdmer(c);
    EXPECT_NE(r.rc, 0) << c;
    EXPECT_EQ(r.err.rfind("cgdmer ", 0), 0u) << c << "\n" << r.err;
    EXPECT_NE(r.err.find("error: "), std::string::npos) << c << "\n" << r.err;
    EXPECT_NE(r.err.find("\nhint: "), std::string::npos) << c << "\n" << r.err;
    // Exactly two lines: the reason and the hint.
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 2) << c << "\n" << r.err;
  }
}
