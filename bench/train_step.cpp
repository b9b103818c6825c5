// bench_train_step: time of one CG-DMER pretraining step (forward + backward + clip + AdamW)
// on synthetic inputs, fp32 or bf16 autocast, with the achieved GFLOP/s from a FLOP count
// derived from the config (formula below and in bench/README.md). Modes:
//   step    the whole model (all loss terms the config enables)          [default]
//   encoder the ECG encoder alone (visible tokens in, pooled mean-square loss, AdamW on it):
//           the figure compared with the bf16 GEMM roofline
//   sweep   step time vs batch, vs patches per lead N (25/50/100/200) and vs mask ratio
// Each measurement prints a human line and one "RESULT {json}" line (bench/run_all.sh reads
// those). bench/peer_step.py is the same model and harness in plain PyTorch eager.
//
// FLOP count (training = 3 × forward; 2 FLOP per multiply-add):
//   linear / conv layer with P weights applied to n rows:  6·P·n
//   attention (QKᵀ and A·V) over Tq queries, Tk keys, width d, batch B: 12·B·Tq·Tk·d
// applied to: ECG tokenizer convs + proj on the B·L·K visible patches (the work the model needs;
// the peer, like ST-MEM, tokenizes all B·L·P and does 4× more there); ECG encoder on M = L·K visible
// tokens; MAE decoder (embed on M, blocks + pred on N = L·P); BERT on T tokens; sentinel
// decoder (self on U, cross U×T, memory_proj on T, LM head W·V on U); the four heads on B.
// LayerNorm, GELU, softmax, embeddings lookups, losses and AdamW are not counted (they are
// memory-bound and < 2 % of the FLOPs at these sizes), so GFLOP/s is a lower bound.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include "config/config.h"
#include "model/cgdmer_model.h"
#include "model/compat.h"
#include "model/ecg_encoder.h"
#include "model/ecg_tokenizer.h"
#include "model/model_summary.h"
#include "model/runtime.h"
#include "train/optim.h"

using nlohmann::json;
using namespace cgdmer;

namespace {

struct Shape {
  int64_t batch = 8, text_len = 64, dec_len = 16;
};

// Defaults for the text lengths: the report length cap up to 128 (PTB-XL/MIMIC reports are
// 20–80 WordPieces), and a sentinel target of ~0.2·T + 2 (15 % masked in spans of mean 3,
// one sentinel per span, <eos>).
Shape default_shape(const Config& c, int64_t batch) {
  Shape s;
  s.batch = batch;
  s.text_len = std::min<int64_t>(c.text.max_len, 128);
  s.dec_len = std::min<int64_t>(c.text.decoder_max_len, s.text_len / 5 + 2);
  return s;
}

struct Flops {
  double tokenizer = 0, encoder = 0, decoder = 0, bert = 0, text_decoder = 0, heads = 0;
  double total() const { return tokenizer + encoder + decoder + bert + text_decoder + heads; }
  json to_json() const {
    return {{"tokenizer", tokenizer}, {"ecg_encoder", encoder}, {"ecg_decoder", decoder},
            {"text_encoder", bert},   {"text_decoder", text_decoder}, {"heads", heads},
            {"total", total()}};
  }
};

// Encoder blocks only: depth × (linear 6·(4+2r)·D²·rows + attention 12·B·M²·D).
double transformer_flops(double depth, double width, double mlp_ratio, double batch, double tokens) {
  const double lin = (4 + 2 * mlp_ratio) * width * width;
  return depth * (6 * lin * batch * tokens + 12 * batch * tokens * tokens * width);
}

Flops step_flops(const Config& c, const Shape& s) {
  Flops f;
  const auto& e = c.ecg;
  const double b = s.batch, l = e.n_leads, p = c.ecg_patches_per_lead();
  const double m = l * c.ecg_keep_per_lead(), n = l * p;
  // Tokenizer: conv i maps (cin, len) → (C, len / k_i), then proj C → D, per patch.
  double macs = 0, len = e.patch_size, cin = 1;
  for (int k : tokenizer_kernel_layout(e.patch_size)) {
    len /= k;
    macs += len * cin * e.tokenizer_channels * k;
    cin = e.tokenizer_channels;
  }
  macs += double(e.tokenizer_channels) * e.width;
  f.tokenizer = 6 * macs * b * m;  // visible patches only (what src/model tokenizes)
  f.encoder = transformer_flops(e.depth, e.width, e.mlp_ratio, b, m);
  if (c.has_ecg_decoder()) {
    const double w = e.decoder_width;
    f.decoder = 6 * double(e.width) * w * b * m +
                transformer_flops(e.decoder_depth, w, e.mlp_ratio, b, n) + 6 * w * e.patch_size * b * n;
  }
  const auto& t = c.text;
  const double tl = s.text_len, u = s.dec_len, h = t.width;
  f.bert = t.depth * (6 * (4 * h * h + 2 * h * t.intermediate) * b * tl + 12 * b * tl * tl * h);
  if (c.has_text_reconstruction() && t.reconstruction == "sentinel") {
    const double w = t.decoder_width, v = c.text_vocab_rows();
    const double per_layer = 6 * (4 * w * w + 2 * w * w + 8 * w * w) * b * u  // self 4W², cross q/out 2W², mlp 8W² on U
                             + 6 * 2 * w * w * b * tl                          // cross k/v on the memory
                             + 12 * b * u * u * w + 12 * b * u * tl * w;       // self + cross attention
    f.text_decoder = 6 * h * w * b * tl + t.decoder_depth * per_layer + 6 * w * v * b * u;
  }
  const double hid = c.head.hidden, out = c.head.dim;
  const double n_heads_each = c.has_specific_heads() ? 2 : 1;
  f.heads = n_heads_each * 6 * ((e.width + t.width) * hid + 2 * hid * out) * b;
  return f;
}

double encoder_only_flops(const Config& c, int64_t batch) {
  const double m = double(c.ecg.n_leads) * c.ecg_keep_per_lead();
  return transformer_flops(c.ecg.depth, c.ecg.width, c.ecg.mlp_ratio, batch, m);
}

CgDmerInputs synthetic_inputs(const Config& c, const Shape& s) {
  CgDmerInputs in;
  const auto base = c.text.vocab_size;
  in.ecg = torch::rand({s.batch, c.ecg.n_leads, c.ecg.n_samples});
  in.text_ids = torch::randint(1000, base, {s.batch, s.text_len}, torch::kInt64);
  in.text_ids.select(1, 0).fill_(101);  // [CLS]
  in.text_mask = torch::ones({s.batch, s.text_len}, torch::kInt64);
  if (c.has_text_reconstruction()) {
    if (c.text.reconstruction == "sentinel") {
      in.dec_input = torch::randint(1000, c.text_vocab_rows(), {s.batch, s.dec_len}, torch::kInt64);
      in.dec_target = torch::randint(1000, c.text_vocab_rows(), {s.batch, s.dec_len}, torch::kInt64);
    } else {
      in.mlm_labels = torch::full({s.batch, s.text_len}, -100, torch::kInt64);
      in.mlm_labels.narrow(1, 1, std::max<int64_t>(1, s.text_len / 7)).fill_(2000);
    }
  }
  return in;
}

struct Timing {
  double median = 0, min = 0, max = 0;
  std::vector<double> all;
};

template <class F>
Timing time_steps(int warmup, int steps, F&& f) {
  for (int i = 0; i < warmup; ++i) f();
  Timing t;
  for (int i = 0; i < steps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    t.all.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  auto v = t.all;
  std::sort(v.begin(), v.end());
  t.min = v.front();
  t.max = v.back();
  t.median = v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
  return t;
}

int64_t count_params(torch::nn::Module& m) {
  int64_t n = 0;
  for (auto& p : m.parameters()) n += p.numel();
  return n;
}

json measure_step(const Config& c, const Shape& s, bool bf16, int warmup, int steps) {
  torch::manual_seed(0);
  CgDmer model(c);
  model->train();
  auto opt = make_adamw(*model, c.train.lr, c.train.weight_decay);
  auto params = model->parameters();
  auto in = synthetic_inputs(c, s);
  auto gen = at::detail::createCPUGenerator(1234);
  const torch::Device cpu(torch::kCPU);
  double last_loss = 0;
  std::vector<double> t_fwd, t_bwd, t_clip, t_opt;  // per step, warm-up included
  using clk = std::chrono::steady_clock;
  auto secs = [](clk::time_point a, clk::time_point b) { return std::chrono::duration<double>(b - a).count(); };
  auto t = time_steps(warmup, steps, [&] {
    auto t0 = clk::now();
    drop_gradients(params);
    torch::Tensor loss;
    {
      AutocastGuard ag(bf16, cpu);
      loss = model->forward(in, gen).loss;
    }
    auto t1 = clk::now();
    loss.backward();
    auto t2 = clk::now();
    const GradClip clip = gradient_clip(params, c.train.grad_clip);
    auto t3 = clk::now();
    adamw_step(*opt, clip.scale);  // as the trainer does (src/train/engine.cpp)
    last_loss = loss.item<double>();
    auto t4 = clk::now();
    t_fwd.push_back(secs(t0, t1)), t_bwd.push_back(secs(t1, t2)), t_clip.push_back(secs(t2, t3));
    t_opt.push_back(secs(t3, t4));
  });
  // CGDMER_BENCH_TRACE=file: one more step under the autograd profiler (chrome trace JSON),
  // for the per-op breakdowns quoted in bench/README.md.
  if (const char* trace = std::getenv("CGDMER_BENCH_TRACE")) {
    torch::autograd::profiler::RecordProfile rp(std::string(trace) + "." + (bf16 ? "bf16" : "fp32") + ".json");
    drop_gradients(params);
    torch::Tensor loss;
    {
      AutocastGuard ag(bf16, cpu);
      loss = model->forward(in, gen).loss;
    }
    loss.backward();
    adamw_step(*opt, gradient_clip(params, c.train.grad_clip).scale);
  }
  auto timed_median = [&](std::vector<double> v) {  // median over the timed steps only
    v.erase(v.begin(), v.begin() + warmup);
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double p_fwd = timed_median(t_fwd), p_bwd = timed_median(t_bwd), p_opt = timed_median(t_opt),
               p_clip = timed_median(t_clip);
  const auto f = step_flops(c, s);
  json r = {{"mode", "step"},
            {"impl", "cpp"},
            {"config", c.name},
            {"precision", bf16 ? "bf16" : "fp32"},
            {"batch", s.batch},
            {"text_len", s.text_len},
            {"dec_len", s.dec_len},
            {"patches_per_lead", c.ecg_patches_per_lead()},
            {"mask_ratio", c.ecg.mask_ratio},
            {"params", count_params(*model)},
            {"threads", at::get_num_threads()},
            {"warmup", warmup},
            {"steps", steps},
            {"step_s", {{"median", t.median}, {"min", t.min}, {"max", t.max}, {"all", t.all}}},
            {"pairs_per_s", s.batch / t.median},
            {"gflop_per_step", f.total() / 1e9},
            {"gflops", f.total() / 1e9 / t.median},
            {"flops_by_part", f.to_json()},
            {"last_loss", last_loss},
            {"phase_s_median", {{"forward", p_fwd}, {"backward", p_bwd}, {"clip", p_clip}, {"adamw", p_opt}}}};
  std::printf("  phases (median of timed steps): forward %.3f s, backward %.3f s, clip %.3f s, AdamW %.3f s\n", p_fwd,
              p_bwd, p_clip, p_opt);
  std::printf("step   %-6s %-4s B=%-3lld T=%lld U=%lld N=%d mask=%.2f  params %.2fM  median %.3f s (min %.3f max %.3f)  %.2f pairs/s  %.1f GFLOP/step  %.1f GFLOP/s\n",
              c.name.c_str(), bf16 ? "bf16" : "fp32", (long long)s.batch, (long long)s.text_len,
              (long long)s.dec_len, c.ecg_patches_per_lead(), c.ecg.mask_ratio,
              r["params"].get<int64_t>() / 1e6, t.median, t.min, t.max, s.batch / t.median,
              f.total() / 1e9, f.total() / 1e9 / t.median);
  return r;
}

json measure_encoder(const Config& c, int64_t batch, bool bf16, int warmup, int steps) {
  torch::manual_seed(0);
  const auto& e = c.ecg;
  EcgEncoder enc(EcgEncoderOptions().width(e.width).depth(e.depth).heads(e.heads).mlp_ratio(e.mlp_ratio).dropout(e.dropout));
  enc->train();
  auto opt = make_adamw(*enc, c.train.lr, c.train.weight_decay);
  const int64_t m = int64_t(e.n_leads) * c.ecg_keep_per_lead();
  auto x = torch::randn({batch, m, e.width});
  auto params = enc->parameters();
  const torch::Device cpu(torch::kCPU);
  auto one_step = [&] {
    drop_gradients(params);
    torch::Tensor loss;
    {
      AutocastGuard ag(bf16, cpu);
      loss = enc->pool(enc->forward(x)).to(torch::kFloat32).pow(2).mean();
    }
    loss.backward();
    adamw_step(*opt);
  };
  auto t = time_steps(warmup, steps, one_step);
  if (const char* trace = std::getenv("CGDMER_BENCH_TRACE")) {  // as in measure_step
    torch::autograd::profiler::RecordProfile rp(std::string(trace) + ".encoder." + (bf16 ? "bf16" : "fp32") + ".json");
    one_step();
  }
  const double f = encoder_only_flops(c, batch);
  json r = {{"mode", "encoder"},
            {"impl", "cpp"},
            {"config", c.name},
            {"precision", bf16 ? "bf16" : "fp32"},
            {"batch", batch},
            {"tokens", m},
            {"params", count_params(*enc)},
            {"threads", at::get_num_threads()},
            {"step_s", {{"median", t.median}, {"min", t.min}, {"max", t.max}, {"all", t.all}}},
            {"gflop_per_step", f / 1e9},
            {"gflops", f / 1e9 / t.median},
            {"gflops_best", f / 1e9 / t.min}};
  std::printf("encoder %-6s %-4s B=%-3lld M=%lld  median %.3f s (min %.3f max %.3f)  %.1f GFLOP/step  %.1f GFLOP/s (best %.1f)\n",
              c.name.c_str(), bf16 ? "bf16" : "fp32", (long long)batch, (long long)m, t.median, t.min,
              t.max, f / 1e9, f / 1e9 / t.median, f / 1e9 / t.min);
  return r;
}

void emit(json r, const std::string& tag = "") {
  if (!tag.empty()) r["sweep"] = tag;
  std::printf("RESULT %s\n", r.dump().c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"CG-DMER training-step benchmark (see bench/README.md)"};
  std::string mode = "step", config = "tiny", precision = "both";
  int64_t batch = 0, text_len = 0, dec_len = 0;
  int warmup = 2, steps = 5, threads = 0;
  std::vector<std::string> sets;
  app.add_option("--mode", mode, "step | encoder | sweep")->check(CLI::IsMember({"step", "encoder", "sweep"}));
  app.add_option("--config", config, "preset name or TOML path");
  app.add_option("--set", sets, "config override section.key=value (repeatable)");
  app.add_option("--precision", precision, "fp32 | bf16 | both")->check(CLI::IsMember({"fp32", "bf16", "both"}));
  app.add_option("--batch", batch, "batch size (default: 32 tiny, 4 others)");
  app.add_option("--text-len", text_len, "report tokens T (default min(text.max_len, 128))");
  app.add_option("--dec-len", dec_len, "sentinel target tokens U (default min(decoder_max_len, T/5+2))");
  app.add_option("--warmup", warmup, "untimed steps");
  app.add_option("--steps", steps, "timed steps");
  app.add_option("--threads", threads, "intra-op threads (0 = all cores)");
  CLI11_PARSE(app, argc, argv);

  configure_cpu_runtime(threads);
  // CGDMER_BENCH_FTZ=1: flush denormals to zero (MXCSR FTZ/DAZ) — an experiment switch.
  if (const char* ftz = std::getenv("CGDMER_BENCH_FTZ"); ftz && std::string(ftz) == "1")
    std::printf("# flush denormals: %d\n", int(at::globalContext().setFlushDenormal(true)));
  const char* wp = std::getenv("OMP_WAIT_POLICY");
  std::printf("# threads=%d OMP_WAIT_POLICY=%s native_bf16=%d\n", at::get_num_threads(), wp ? wp : "(unset)",
              int(cpu_has_native_bf16()));
  std::vector<bool> precs;
  if (precision != "bf16") precs.push_back(false);
  if (precision != "fp32") precs.push_back(true);

  try {
    auto cfg = Config::load(config, sets);
    if (batch <= 0) batch = cfg.name == "tiny" ? 32 : 4;
    auto shape = default_shape(cfg, batch);
    if (text_len > 0) shape.text_len = text_len;
    if (dec_len > 0) shape.dec_len = dec_len;

    if (mode == "step") {
      for (bool bf : precs) emit(measure_step(cfg, shape, bf, warmup, steps));
    } else if (mode == "encoder") {
      for (bool bf : precs) emit(measure_encoder(cfg, batch, bf, warmup, steps));
    } else {
      // Short scaling sweep around the config (bf16 unless --precision fp32).
      const bool bf = precision != "fp32";
      for (int64_t b : {batch / 4, batch / 2, batch, batch * 2}) {
        if (b < 1) continue;
        auto s = default_shape(cfg, b);
        s.text_len = shape.text_len;
        s.dec_len = shape.dec_len;
        emit(measure_step(cfg, s, bf, warmup, steps), "batch");
      }
      for (int n : {25, 50, 100, 200}) {
        if (cfg.ecg.n_samples % n != 0) continue;
        auto over = sets;
        over.push_back("ecg.patch_size=" + std::to_string(cfg.ecg.n_samples / n));
        emit(measure_step(Config::load(config, over), shape, bf, warmup, steps), "patches");
      }
      for (double r : {0.5, 0.75, 0.9}) {
        auto over = sets;
        over.push_back("ecg.mask_ratio=" + std::to_string(r));
        emit(measure_step(Config::load(config, over), shape, bf, warmup, steps), "mask_ratio");
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_train_step: %s\n", e.what());
    return 1;
  }
  std::printf("# reproduce: %s", argv[0]);
  for (int i = 1; i < argc; ++i) std::printf(" %s", argv[i]);
  std::printf("\n");
  return 0;
}
