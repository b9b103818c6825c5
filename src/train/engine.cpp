// The pretraining loop (see engine.h for the design and the randomness plan).
#include "train/engine.h"

#include <chrono>
#include <optional>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <algorithm>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include <ATen/autocast_mode.h>  // compat.h uses at::autocast but does not include it
#include <nlohmann/json.hpp>
#include <torch/cuda.h>

#include "config/config.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/progress.h"
#include "data/loader.h"
#include "data/shard_store.h"
#include "model/cgdmer_model.h"
#include "model/compat.h"
#include "model/model_summary.h"
#include "model/patch_masking.h"
#include "model/runtime.h"
#include "plot/chart.h"
#include "train/checkpoint.h"
#include "train/collate.h"
#include "train/optim.h"
#include "train/zero_shot_validation.h"

namespace cgdmer {
namespace fs = std::filesystem;

namespace {

const char* const kTerms[] = {"loss_cons", "loss_e_rec", "loss_t_rec", "loss_orth",
                              "loss_siglip"};
constexpr std::uint64_t kEcgMaskSalt = 0xEC6u;

// Rank-0 logging: one parseable line.
#define CGDMER_LOG0(dist, ...)            \
  do {                                    \
    if ((dist).is_main()) {               \
      std::fprintf(stderr, __VA_ARGS__);  \
      std::fputc('\n', stderr);           \
    }                                     \
  } while (0)

CgDmerInputs to_device(CgDmerInputs in, const torch::Device& d) {
  if (d.is_cpu()) return in;
  for (torch::Tensor* t : {&in.ecg, &in.text_ids, &in.text_mask, &in.dec_input, &in.dec_target,
                           &in.mlm_labels})
    if (t->defined()) *t = t->to(d, /*non_blocking=*/true);
  return in;
}

// AdamW moments follow their parameters' device (a checkpoint loads them on the CPU).
void move_optimizer_state(torch::optim::Optimizer& opt, const torch::Device& d) {
  for (auto& kv : opt.state()) {
    auto* st = dynamic_cast<torch::optim::AdamWParamState*>(kv.second.get());
    if (!st) continue;
    st->exp_avg(st->exp_avg().to(d));
    st->exp_avg_sq(st->exp_avg_sq().to(d));
    if (st->max_exp_avg_sq().defined()) st->max_exp_avg_sq(st->max_exp_avg_sq().to(d));
  }
}

// Per-sample ECG patch masks, independent of batch composition and rank: (B, L·K).
torch::Tensor sample_patch_masks(const Batch& batch, const Config& cfg, std::uint64_t seed) {
  std::vector<torch::Tensor> keep;
  for (int b = 0; b < batch.size(); ++b) {
    auto gen = at::detail::createCPUGenerator(
        sample_seed(seed ^ kEcgMaskSalt, batch.epoch, batch.records[size_t(b)]));
    keep.push_back(random_patch_mask(1, cfg.ecg.n_leads, cfg.ecg_patches_per_lead(),
                                     cfg.ecg_keep_per_lead(), gen)
                       .ids_keep);
  }
  return torch::cat(keep, 0);
}

std::string default_run_dir(const Config& cfg) {
  char buf[32];
  std::time_t t = std::time(nullptr);
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::gmtime(&t));
  return "runs/" + cfg.name + "-" + buf;
}

// metrics.jsonl keeps only lines up to `step` (a resumed run re-logs what came after).
void truncate_metrics(const std::string& path, std::int64_t step) {
  if (!fs::exists(path)) return;
  std::ifstream in(path);
  std::string line, kept;
  while (std::getline(in, line)) {
    try {
      auto j = nlohmann::json::parse(line);
      if (j.value("step", std::int64_t(0)) <= step) kept += line + "\n";
    } catch (...) {  // torn last line of a killed run
    }
  }
  write_file_atomic(path, kept);
}

void plot_curves(const std::string& run_dir) {
  const std::string metrics = (fs::path(run_dir) / "metrics.jsonl").string();
  if (!fs::exists(metrics)) return;
  std::map<std::string, Series> s;
  Series lr{"lr", {}, {}};
  std::ifstream in(metrics);
  std::string line;
  while (std::getline(in, line)) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (...) {
      continue;
    }
    const double x = j.value("step", 0.0);
    for (const char* k : {"loss", "loss_cons", "loss_e_rec", "loss_t_rec", "loss_orth",
                          "loss_siglip"})
      if (j.contains(k) && j[k].is_number()) {
        auto& ser = s[k];
        ser.name = k;
        ser.x.push_back(x);
        ser.y.push_back(j[k].get<double>());
      }
    if (j.contains("lr")) {
      lr.x.push_back(x);
      lr.y.push_back(j["lr"].get<double>());
    }
  }
  if (s.empty() || s.begin()->second.x.size() < 2) return;
  std::vector<Series> all;
  for (auto& kv : s) all.push_back(kv.second);
  ChartOptions o;
  o.title = "Pretraining losses";
  o.x_label = "step";
  o.y_label = "loss";
  o.log_y = true;
  save_line_chart((fs::path(run_dir) / "loss_curves.png").string(), all, o);
  ChartOptions ol;
  ol.title = "Learning rate";
  ol.x_label = "step";
  ol.y_label = "lr";
  save_line_chart((fs::path(run_dir) / "lr.png").string(), {lr}, ol);
}

std::vector<std::int64_t> fold_subset(const ShardStore& store, const std::vector<int>& folds) {
  std::vector<std::int64_t> idx;
  if (folds.empty()) return idx;
  for (std::int64_t i = 0; i < store.size(); ++i)
    if (std::find(folds.begin(), folds.end(), store.fold(i)) != folds.end()) idx.push_back(i);
  if (idx.empty())
    throw ConfigError(store.dir() + ": no record is in the requested folds");
  return idx;
}

// Mean total loss over (at most) the first `max_batches` batches of the validation store,
// fixed masks (seed of the run, epoch 0), no dropout. Lower is better.
double validation_loss(CgDmer& model, const ShardStore& val, const Config& cfg,
                       const CollateOptions& copt, std::uint64_t seed, bool bf16,
                       Distributed& dist, const std::vector<std::int64_t>& subset,
                       const torch::Device& device,
                       int max_batches = 20) {
  torch::NoGradGuard ng;
  model->eval();
  LoaderOptions lo;
  lo.subset = subset;
  const auto n_val = subset.empty() ? val.size() : std::int64_t(subset.size());
  lo.batch_size = std::min<int>(cfg.train.batch_size, int(n_val / dist.world_size()));
  lo.shuffle = false;
  lo.rank = dist.rank();
  lo.world_size = dist.world_size();
  lo.workers = 1;
  double sum = 0, n = 0;
  if (lo.batch_size > 0) {
    Loader loader(val, lo);
    const auto nb = std::min<std::int64_t>(max_batches, loader.batches_per_epoch());
    for (std::int64_t i = 0; i < nb; ++i) {
      Batch b = loader.next();
      auto in = to_device(collate(b, copt, seed), device);
      ForwardOverrides ov;
      ov.ids_keep = sample_patch_masks(b, cfg, seed).to(device);
      AutocastGuard ag(bf16, device);
      auto out = model->forward_with(in, torch::Generator(), nullptr, ov);
      sum += out.loss.item<double>() * b.size();
      n += b.size();
    }
  }
  model->train();
  auto r = dist.allreduce_sum({sum, n});
  return r[1] > 0 ? r[0] / r[1] : std::nan("");
}

}  // namespace

PretrainResult run_pretrain(const PretrainOptions& opt) {
  const auto t_start = std::chrono::steady_clock::now();
  PretrainResult res;

  // ---- Configuration: resolved once (a resumed run takes its saved config). ----
  Config cfg;
  std::string resume_ckpt;
  std::optional<CheckpointReader> resume_reader;  // read once: config now, tensors below
  if (!opt.resume.empty()) {
    resume_ckpt = latest_checkpoint(opt.resume);
    if (resume_ckpt.empty())
      throw IoError(opt.resume, "no checkpoint to resume from (checkpoints/step-*.ckpt)");
    resume_reader.emplace(resume_ckpt);
    cfg = Config::from_toml(resume_reader->meta().config_toml, resume_ckpt);
    for (const auto& o : opt.overrides) cfg.apply_override(o);
  } else {
    cfg = Config::load(opt.config, opt.overrides);
  }
  if (opt.max_steps > 0) cfg.train.max_steps = opt.max_steps;
  if (opt.save_every > 0) cfg.train.save_every = opt.save_every;
  if (opt.seed >= 0) cfg.train.seed = std::uint64_t(opt.seed);
  if (!opt.precision.empty()) cfg.train.precision = opt.precision;
  cfg.validate();
  const auto& tc = cfg.train;
  if (opt.device != "cpu" && opt.device != "cuda")
    throw ConfigError("--device must be cpu or cuda (got '" + opt.device + "')");
  if (opt.device == "cuda" && !torch::cuda::is_available())
    throw ConfigError("--device cuda: this LibTorch build or machine has no CUDA device");
  const torch::Device device =
      opt.device == "cuda"
          ? torch::Device(torch::kCUDA,
                          int(opt.dist.rank % std::max<std::int64_t>(1, torch::cuda::device_count())))
          : torch::Device(torch::kCPU);
  const bool bf16 = tc.precision == "bf16" ||
                    (tc.precision == "auto" && (device.is_cuda() || cpu_has_native_bf16()));
  if (tc.precision != "fp32" && tc.precision != "bf16" && tc.precision != "auto")
    throw ConfigError("train.precision must be fp32, bf16 or auto (got '" + tc.precision + "')");
  res.bf16 = bf16;
  const std::uint64_t seed = tc.seed;

  // ---- Model: same init everywhere. ----
  torch::manual_seed(seed);
  CgDmer model(cfg);
  if (opt.dry_run) {
    std::printf("%s\n", describe(*model).c_str());
    std::printf("precision: %s\n", bf16 ? "bf16 autocast (fp32 master weights)" : "fp32");
    return res;
  }

  DistOptions dopt = opt.dist;
  dopt.device = device;
  Distributed dist(dopt);
  const std::string run_dir =
      !opt.resume.empty() ? opt.resume : (!opt.out.empty() ? opt.out : default_run_dir(cfg));
  res.run_dir = run_dir;
  if (opt.data.empty()) throw ConfigError("pretrain needs --data STORE");
  ShardStore store = ShardStore::open(opt.data);
  const auto& si = store.info();
  if (si.n_samples != cfg.ecg.n_samples || si.n_leads != cfg.ecg.n_leads)
    throw ConfigError(opt.data + ": store has " + std::to_string(si.n_leads) + " leads × " +
                          std::to_string(si.n_samples) + " samples, the config expects " +
                          std::to_string(cfg.ecg.n_leads) + " × " +
                          std::to_string(cfg.ecg.n_samples),
                      "prepare the store at the config's rate/length or set ecg.n_samples");
  std::unique_ptr<ShardStore> val_store;
  if (!opt.val.empty()) val_store = std::make_unique<ShardStore>(ShardStore::open(opt.val));
  else if (!opt.val_folds.empty())
    val_store = std::make_unique<ShardStore>(ShardStore::open(opt.data));
  const auto val_subset = val_store ? fold_subset(*val_store, opt.val_folds)
                                    : std::vector<std::int64_t>{};

  ParamGroupSplit split;
  auto optimizer = make_adamw(*model, tc.lr, tc.weight_decay, &split);
  const auto params = model->parameters();

  TrainState state;
  state.seed = seed;
  state.shuffle_seed = seed;
  state.world_size = dist.world_size();
  if (!resume_ckpt.empty()) {
    resume_reader->load(*model, optimizer.get(), cfg.model_hash());
    const CheckpointMeta meta = resume_reader->meta();
    resume_reader.reset();  // the file's bytes are no longer needed
    if (meta.state.world_size != dist.world_size())
      throw ConfigError(resume_ckpt + ": checkpoint was written by " +
                        std::to_string(meta.state.world_size) + " ranks, this run has " +
                        std::to_string(dist.world_size()));
    if (meta.store_hash != si.preprocessing_hash || meta.store_records != si.n_records)
      throw ConfigError(resume_ckpt + ": checkpoint was trained on another store (" +
                        meta.store_hash + ", " + std::to_string(meta.store_records) +
                        " records); --data is " + si.preprocessing_hash + ", " +
                        std::to_string(si.n_records) + " records");
    state = meta.state;
  }
  if (device.is_cuda()) {
    model->to(device);  // in place: the optimizer keeps the same parameter tensors
    move_optimizer_state(*optimizer, device);
  }
  if (resume_ckpt.empty()) dist.broadcast_module(*model);

  LoaderOptions lo;
  lo.batch_size = tc.batch_size;
  lo.seed = state.shuffle_seed;
  lo.rank = dist.rank();
  lo.world_size = dist.world_size();
  lo.workers = std::max(1, tc.loader_workers);
  lo.subset = fold_subset(store, opt.folds);
  Loader loader(store, lo, state.loader);
  const std::int64_t steps_per_epoch =
      std::max<std::int64_t>(1, loader.batches_per_epoch() / std::max(1, tc.grad_accum));
  const std::int64_t total_steps = tc.max_steps > 0 ? tc.max_steps : tc.epochs * steps_per_epoch;
  LrSchedule sched;
  sched.base_lr = tc.lr;
  sched.min_lr = tc.lr * tc.min_lr_fraction;
  sched.warmup = std::int64_t(std::llround(tc.warmup_fraction * double(total_steps)));
  sched.total = total_steps;
  const CollateOptions copt = CollateOptions::from_config(cfg);

  const std::string metrics_path = (fs::path(run_dir) / "metrics.jsonl").string();
  if (dist.is_main()) {
    fs::create_directories(run_dir);
    write_file_atomic((fs::path(run_dir) / "config.toml").string(), cfg.to_toml());
    if (!resume_ckpt.empty()) truncate_metrics(metrics_path, state.step);
    else if (fs::exists(metrics_path)) fs::remove(metrics_path);
    std::fprintf(stderr, "%s", cfg.to_toml().c_str());
  }
  CGDMER_LOG0(dist,
              "pretrain run=%s store=%s records=%lld world=%d batch/rank=%d accum=%d "
              "steps=%lld start=%lld precision=%s params_decay=%lld params_no_decay=%lld",
              run_dir.c_str(), opt.data.c_str(), (long long)si.n_records, dist.world_size(),
              tc.batch_size, tc.grad_accum, (long long)total_steps, (long long)state.step,
              bf16 ? "bf16" : "fp32", (long long)split.decay_numel,
              (long long)split.no_decay_numel);
  std::ofstream metrics;
  if (dist.is_main()) metrics.open(metrics_path, std::ios::app);

  auto save = [&](bool final_save) {
    CheckpointMeta m;
    m.config_toml = cfg.to_toml();
    m.model_hash = cfg.model_hash();
    m.store_version = si.version;
    m.store_hash = si.preprocessing_hash;
    m.store_records = si.n_records;
    m.state = state;
    if (dist.is_main()) {
      const std::string path = checkpoint_path(run_dir, state.step);
      save_checkpoint(path, *model, optimizer.get(), m,
                      at::detail::getDefaultCPUGenerator().get_state());
      prune_checkpoints(run_dir, tc.keep_last);
      plot_curves(run_dir);
    }
    (void)final_save;
    dist.barrier();  // no rank runs ahead of a checkpoint that may be resumed
  };
  auto validate_and_mark = [&]() {
    if (!val_store) return;
    const double v = validation_loss(model, *val_store, cfg, copt, seed, bf16, dist, val_subset,
                                     device);
    // MERL-style selection: zero-shot mean AUC over the tasks the validation store has labels
    // for; stores without task labels fall back to the (negated) validation loss.
    const ZeroShotValidation zs =
        zero_shot_validation(model, *val_store, val_subset, bf16 ? "bf16" : "fp32");
    const bool use_auc = std::isfinite(zs.mean_auc);
    const double score = use_auc ? zs.mean_auc : -v;
    CGDMER_LOG0(dist, "val step=%lld val_loss=%.6f val_zeroshot_auc=%.4f", (long long)state.step,
                v, zs.mean_auc);
    if (dist.is_main()) {
      nlohmann::json j{{"step", state.step}, {"val_loss", v}};
      if (use_auc) j["val_zeroshot_auc"] = zs.mean_auc;
      for (const auto& [task, auc] : zs.tasks)
        if (std::isfinite(auc)) j["val_zeroshot_auc_" + task] = auc;
      metrics << j.dump() << "\n" << std::flush;
    }
    if (std::isfinite(score) && score > state.best_val) {
      state.best_val = score;  // higher is better
      state.best_step = state.step;
      save(false);
      if (dist.is_main()) mark_best_checkpoint(run_dir, checkpoint_path(run_dir, state.step));
    }
  };

  // ---- The loop. ----
  res.first_step = state.step;
  const double pairs_per_step = double(tc.batch_size) * tc.grad_accum * dist.world_size();
  Progress progress("pretrain", total_steps - state.step, "steps");
  GatherFn gather = [&](const torch::Tensor& x) { return dist.all_gather_with_local_grad(x); };
  double wait_prev = loader.wait_seconds();
  double pairs_done = 0, train_s = 0;
  model->train();
  while (state.step < total_steps) {
    const auto t0 = std::chrono::steady_clock::now();
    set_learning_rate(*optimizer, sched.at(state.step));
    torch::manual_seed(sample_seed(seed, dist.rank(), state.step));  // dropout stream
    drop_gradients(params);
    // sums over micro-batches: [non-finite flag, loss, 5 terms, term counts...]
    std::vector<double> red(1 + 1 + 5 + 5, 0.0);
    for (int micro = 0; micro < tc.grad_accum; ++micro) {
      Batch batch = loader.next();
      auto in = to_device(collate(batch, copt, seed), device);
      ForwardOverrides ov;
      if (cfg.ecg.mask_ratio > 0) ov.ids_keep = sample_patch_masks(batch, cfg, seed).to(device);
      CgDmerOutputs out;
      {
        AutocastGuard ag(bf16, device);
        out = model->forward_with(in, torch::Generator(), gather, ov);
      }
      if (opt.poison_loss_at && opt.poison_loss_at(state.step + 1))  // fault injection
        out.loss = out.loss * std::numeric_limits<float>::quiet_NaN();
      const double l = out.loss.item<double>();
      if (!std::isfinite(l)) red[0] = 1;
      red[1] += l / tc.grad_accum;
      for (int k = 0; k < 5; ++k) {
        auto it = out.terms.find(kTerms[k]);
        if (it == out.terms.end()) continue;
        red[2 + k] += it->second.item<double>() / tc.grad_accum;
        red[7 + k] += 1.0 / tc.grad_accum;
      }
      (out.loss / tc.grad_accum).backward();
      state.epoch = batch.epoch;
    }
    state.loader = loader.state();
    dist.allreduce_gradients(params);
    red = dist.allreduce_sum(red);
    // A step is skipped when a loss or the gradient norm is not finite (bf16 overflow, bad
    // batch): the norm comes after the all-reduce, so every rank takes the same decision.
    GradClip clip;
    bool bad = red[0] > 0;
    if (!bad) {
      clip = gradient_clip(params, tc.grad_clip);
      bad = !std::isfinite(clip.norm);
    }
    double gnorm = 0;
    if (bad) {
      ++state.bad_steps_in_row;
      drop_gradients(params);
      CGDMER_LOG0(dist, "step=%lld skipped: non-finite %s (%d in a row)",
                  (long long)state.step + 1, red[0] > 0 ? "loss" : "gradient norm",
                  state.bad_steps_in_row);
    } else {
      state.bad_steps_in_row = 0;
      gnorm = clip.norm;
      adamw_step(*optimizer, clip.scale);  // the clip factor is applied inside the fused pass
    }
    ++state.step;
    const double loss = red[1] / dist.world_size();
    res.steps.push_back({state.step, loss, bad});
    const double dt =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    train_s += dt;
    pairs_done += pairs_per_step;
    const double wait_now = loader.wait_seconds();
    if (dist.is_main() &&
        (state.step % std::max(1, tc.log_every) == 0 || state.step == res.first_step + 1 ||
         state.step == total_steps || bad)) {
      nlohmann::json j{{"step", state.step},
                       {"epoch", state.epoch},
                       {"lr", sched.at(state.step - 1)},
                       {"loss", bad ? nlohmann::json(nullptr) : nlohmann::json(loss)},
                       {"grad_norm", gnorm},
                       {"pairs_per_s", pairs_per_step / dt},
                       {"data_wait", wait_now - wait_prev},
                       {"skipped", bad}};
      for (int k = 0; k < 5; ++k)
        if (red[7 + k] > 0) j[kTerms[k]] = red[2 + k] / red[7 + k];
      metrics << j.dump() << "\n" << std::flush;
      wait_prev = wait_now;
    }
    if (dist.is_main() && opt.show_progress) {
      char sfx[96];
      std::snprintf(sfx, sizeof sfx, "loss=%.4f %.1f pairs/s", loss, pairs_per_step / dt);
      progress.advance(1, sfx);
    }
    if (state.bad_steps_in_row >= tc.max_bad_steps)
      throw Error("stopping: " + std::to_string(state.bad_steps_in_row) +
                      " consecutive steps with a non-finite loss or gradient norm at step " +
                      std::to_string(state.step),
                  "lower train.lr, use --precision fp32, or check the data");
    if (opt.after_step) opt.after_step(state.step);
    if (tc.val_every > 0 && state.step % tc.val_every == 0) validate_and_mark();
    if (tc.save_every > 0 && state.step % tc.save_every == 0 && state.step < total_steps)
      save(false);
  }
  if (res.first_step < total_steps) {
    if (val_store && !(tc.val_every > 0 && total_steps % tc.val_every == 0)) validate_and_mark();
    save(true);
  }
  if (dist.is_main() && opt.show_progress) progress.finish();
  res.last_step = state.step;
  res.wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  res.pairs_per_s = train_s > 0 ? pairs_done / train_s : 0;
  CGDMER_LOG0(dist, "done steps=%lld wall_s=%.1f pairs_per_s=%.2f run=%s",
              (long long)res.last_step, res.wall_s, res.pairs_per_s, run_dir.c_str());
  return res;
}

}  // namespace cgdmer
