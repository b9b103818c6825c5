// bench_classify: zero-shot classification latency of ONE ECG and `embed` throughput with a
// CG-DMER config (default `tiny`, random weights: speed does not depend on their values).
// Excluded (done once, as a server or `cgdmer evaluate` does): model construction, the class
// prompt embeddings (MERL CKEPE prompts, one per class, encoded once). Included per ECG:
// reading the record file (WFDB), preprocessing (lead order, NaN fill, resample, crop/pad,
// min–max), the ECG encoder on all tokens + f_sh + L2 norm, the cosine scores against the
// classes and the arg-max. Throughput: embeddings of a batch of preprocessed ECGs (ECGs/s).
// Prints human lines and "RESULT {json}" lines (bench/run_all.sh reads them).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "config/config.h"
#include "data/preprocess.h"
#include "eval/zero_shot.h"
#include "io/ecg_readers.h"
#include "model/cgdmer_model.h"
#include "model/compat.h"
#include "model/runtime.h"
#include "text/tokenizer.h"

using namespace cgdmer;

namespace {
double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"zero-shot classify latency (one ECG) and embed throughput"};
  std::string config = "tiny", precision = "fp32";
  std::string record = std::string(CGDMER_SOURCE_DIR) + "/data/sample/ptbxl/records100/00000/00137_lr.hea";
  std::string prompts = std::string(CGDMER_SHARED_DIR) + "/data/merl_zeroshot_prompts/CKEPE_prompt.json";
  int reps = 30, threads = 0, embed_batch = 64, embed_reps = 3;
  app.add_option("--config", config, "preset name or TOML path");
  app.add_option("--record", record, "ECG record (.hea / .mat)");
  app.add_option("--prompts", prompts, "class prompt JSON (class → description)");
  app.add_option("--precision", precision, "fp32 | bf16")->check(CLI::IsMember({"fp32", "bf16"}));
  app.add_option("--reps", reps, "timed one-ECG classifications");
  app.add_option("--embed-batch", embed_batch, "ECGs per embed batch");
  app.add_option("--embed-reps", embed_reps, "timed embed batches");
  app.add_option("--threads", threads, "intra-op threads (0 = all cores)");
  CLI11_PARSE(app, argc, argv);
  configure_cpu_runtime(threads);
  try {
    auto cfg = Config::load(config);
    torch::manual_seed(0);
    CgDmer model(cfg);
    model->eval();
    torch::NoGradGuard ng;
    const bool bf16 = precision == "bf16";
    const torch::Device cpu(torch::kCPU);

    // Once: class embeddings (C, E) from the prompts.
    auto all = load_prompts(prompts);
    std::vector<std::string> keys, texts;
    for (auto& [k, v] : all) keys.push_back(k), texts.push_back(v);
    auto tok = WordPieceTokenizer::medcpt();
    auto t_prompts = std::chrono::steady_clock::now();
    torch::Tensor class_emb;
    {
      AutocastGuard ag(bf16, cpu);
      class_emb = encode_class_prompts(model, tok, texts, cfg.text.max_len);
    }
    const double prompt_s = seconds_since(t_prompts);

    PreprocessOptions pp;
    pp.target_fs = double(cfg.ecg.n_samples) / 10.0;  // 10 s records: 1000 samples → 100 Hz
    pp.target_samples = cfg.ecg.n_samples;

    auto classify_one = [&]() -> int64_t {
      auto rec = read_any_record(record);
      auto x = preprocess_record(rec, pp);  // (L·S) row-major
      auto ecg = torch::from_blob(x.data(), {1, cfg.ecg.n_leads, cfg.ecg.n_samples}, torch::kFloat32);
      AutocastGuard ag(bf16, cpu);
      auto scores = zero_shot_scores(model->ecg_shared(ecg), class_emb);  // (1, C)
      return scores.argmax(1).item<int64_t>();
    };
    int64_t label = classify_one();  // warm-up
    classify_one();
    std::vector<double> ts;
    for (int i = 0; i < reps; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      label = classify_one();
      ts.push_back(seconds_since(t0) * 1e3);
    }
    const double med = median_of(ts);
    std::printf("classify %s %s: one ECG (read + preprocess + encode + %zu-class scores) median %.2f ms (min %.2f max %.2f) → %s\n",
                cfg.name.c_str(), precision.c_str(), keys.size(), med, *std::min_element(ts.begin(), ts.end()),
                *std::max_element(ts.begin(), ts.end()), keys[size_t(label)].c_str());

    // Embed throughput on preprocessed ECGs (what `embed` does after its loader).
    auto batch = torch::rand({embed_batch, cfg.ecg.n_leads, cfg.ecg.n_samples});
    {
      AutocastGuard ag(bf16, cpu);
      model->ecg_shared(batch);
    }
    std::vector<double> es;
    for (int i = 0; i < embed_reps; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      AutocastGuard ag(bf16, cpu);
      model->ecg_shared(batch);
      es.push_back(seconds_since(t0));
    }
    const double ecgs_per_s = embed_batch / median_of(es);
    std::printf("embed    %s %s: batch %d  %.1f ECGs/s\n", cfg.name.c_str(), precision.c_str(), embed_batch, ecgs_per_s);
    nlohmann::json r = {{"mode", "classify"}, {"config", cfg.name}, {"precision", precision},
                        {"threads", at::get_num_threads()}, {"classes", keys.size()}, {"record", record},
                        {"classify_ms", {{"median", med}, {"min", *std::min_element(ts.begin(), ts.end())},
                                         {"max", *std::max_element(ts.begin(), ts.end())}}},
                        {"prompt_encoding_s_once", prompt_s}, {"embed_batch", embed_batch},
                        {"embed_ecgs_per_s", ecgs_per_s}};
    std::printf("RESULT %s\n", r.dump().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_classify: %s\n", e.what());
    return 1;
  }
  std::printf("# reproduce: %s", argv[0]);
  for (int i = 1; i < argc; ++i) std::printf(" %s", argv[i]);
  std::printf("\n");
  return 0;
}
