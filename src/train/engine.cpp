// The pretraining loop (see engine.h for the design and the randomness plan). run_pretrain at
// the bottom reads as the algorithm; each step it names is a function above it.
#include "train/engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>

#include <ATen/autocast_mode.h>  // compat.h uses at::autocast but does not include it
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <torch/cuda.h>

#include "config/config.h"
#include "core/error.h"
#include "core/progress.h"
#include "data/loader.h"
#include "data/report_tokens.h"
#include "data/shard_store.h"
#include "data/store_set.h"
#include "model/cgdmer_model.h"
#include "model/checkpoint_file.h"
#include "model/compat.h"
#include "model/gpu.h"
#include "model/model_summary.h"
#include "model/text_tokenizer.h"
#include "train/batch_prefetcher.h"
#include "train/checkpoint.h"
#include "train/collate.h"
#include "train/gradient_reducer.h"
#include "train/optim.h"
#include "train/run_folder.h"
#include "train/step_stats.h"
#include "train/validation.h"

namespace cgdmer {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Rank-0 logging: one parseable line.
#define CGDMER_LOG0(dist, ...)            \
  do {                                    \
    if ((dist).is_main()) {               \
      std::fprintf(stderr, __VA_ARGS__);  \
      std::fputc('\n', stderr);           \
    }                                     \
  } while (0)

std::string folds_text(const std::vector<int>& folds) {
  if (folds.empty()) return "all";
  std::string s;
  for (int f : folds) s += (s.empty() ? "" : " ") + std::to_string(f);
  return s;
}

std::string joined(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

// ---- 1. The run: config, data, device and precision -------------------------------------

struct RunPlan {
  Config cfg;
  std::string run_dir;
  std::string resume_ckpt;                        // "" = fresh run
  std::optional<CheckpointReader> resume_reader;  // read once: config now, tensors later
  std::optional<TrainingData> recorded;           // what the resumed run trained on
  std::vector<std::string> data;  // training stores
  std::string val;
  std::vector<int> folds, val_folds;
  torch::Device device{torch::kCPU};
  Precision precision = Precision::fp32;          // resolved: fp32 or bf16
};

// A resumed run's data is what its checkpoint recorded; flags may repeat it, not change it.
void take_recorded_data(const PretrainOptions& opt, RunPlan& p) {
  const TrainingData& r = *p.recorded;
  if (!opt.folds.empty() && opt.folds != r.folds)
    throw ConfigError(p.resume_ckpt + ": --folds " + folds_text(opt.folds) +
                          " contradicts the run, which trains on folds " + folds_text(r.folds),
                      "drop --folds to continue the run as it was, or start a new run folder");
  if (opt.data.empty())
    for (const TrainingStore& s : r.stores) p.data.push_back(s.store);
  else
    p.data = opt.data;
  p.folds = r.folds;
  p.val = opt.val.empty() && opt.val_folds.empty() ? r.val_store : opt.val;
  p.val_folds = opt.val_folds.empty() ? r.val_folds : opt.val_folds;
}

RunPlan plan_run(const PretrainOptions& opt) {
  RunPlan p;
  if (!opt.resume.empty()) {
    p.resume_ckpt = latest_checkpoint(opt.resume);
    if (p.resume_ckpt.empty())
      throw IoError(opt.resume, "no checkpoint to resume from (checkpoints/step-*.ckpt)");
    p.resume_reader.emplace(p.resume_ckpt);
    const CheckpointMeta& meta = p.resume_reader->meta();
    p.cfg = Config::from_toml(meta.config_toml, p.resume_ckpt);
    for (const auto& o : opt.overrides) p.cfg.apply_override(o);
    TrainingData recorded;
    if (training_data_of(meta, &recorded, p.resume_ckpt)) p.recorded = recorded;
  } else {
    p.cfg = Config::load(opt.config, opt.overrides);
  }
  if (opt.max_steps > 0) p.cfg.train.max_steps = opt.max_steps;
  if (opt.save_every > 0) p.cfg.train.save_every = opt.save_every;
  if (opt.seed >= 0) p.cfg.train.seed = std::uint64_t(opt.seed);
  if (opt.precision) p.cfg.train.precision = precision_name(*opt.precision);
  p.cfg.validate();

  if (p.recorded) {
    take_recorded_data(opt, p);
  } else {
    p.data = opt.data, p.val = opt.val, p.folds = opt.folds, p.val_folds = opt.val_folds;
    if (p.data.empty())
      throw ConfigError(p.resume_ckpt.empty() ? "pretrain needs --data STORE [STORE ...]"
                                              : p.resume_ckpt + " does not record its data "
                                                                "(written by an earlier cgdmer)",
                        "pass --data STORE (and --folds as the run was started)");
  }
  if (!p.val.empty() || !p.val_folds.empty()) {
    // --val-folds alone validate on the first --data store.
    const bool trains_on_val_store =
        p.val.empty() || std::find(p.data.begin(), p.data.end(), p.val) != p.data.end();
    if (trains_on_val_store && p.val_folds.empty())
      throw ConfigError("the validation store " + p.val + " is a training store",
                        "validate on folds the run does not train on (--val-folds)");
    for (int f : p.val_folds)
      if (trains_on_val_store && (p.folds.empty() ||
                                  std::find(p.folds.begin(), p.folds.end(), f) != p.folds.end()))
        throw ConfigError("validation fold " + std::to_string(f) + " is also a training fold",
                          "validate on folds the run does not train on (--folds / --val-folds)");
  }

  if (opt.device != "cpu" && opt.device != "cuda")
    throw ConfigError("--device must be cpu or cuda (got '" + opt.device + "')");
  if (opt.device == "cuda" && !torch::cuda::is_available())
    throw ConfigError("--device cuda: this LibTorch build or machine has no CUDA device");
  if (opt.device == "cuda")
    p.device = torch::Device(
        torch::kCUDA, int(opt.dist.local_rank % std::max<std::int64_t>(1, torch::cuda::device_count())));
  p.precision = resolve_precision(parse_precision(p.cfg.train.precision, "train.precision"), p.device);
  p.run_dir = !opt.resume.empty() ? opt.resume : (!opt.out.empty() ? opt.out : default_run_dir(p.cfg));
  return p;
}

// ---- 2. The data ------------------------------------------------------------------------

struct RunData {
  std::vector<ShardStore> stores;    // --data, in order (a vector's move keeps their addresses)
  std::unique_ptr<WordPieceTokenizer> text_tokenizer;  // the text encoder's; the set reads through it
  std::unique_ptr<StoreSet> set;     // the stores as one index space
  std::vector<std::int64_t> subset;  // training records, indices of the set (empty = all)
  std::unique_ptr<ShardStore> val_store;
  std::vector<std::int64_t> val_rows;
  TrainingData record;               // written into every checkpoint
};

// The records of `store` in `folds`; empty = all. A training store whose records carry no
// fold (LUDB) is taken whole, and the log says so: folds split a dataset that has them. A
// validation store without folds is refused (it would validate on training records).
enum class Role { training, validation };
std::vector<std::int64_t> fold_subset(const ShardStore& store, const std::vector<int>& folds, Role role) {
  std::vector<std::int64_t> idx;
  if (folds.empty()) return idx;
  bool any_fold = false;
  for (std::int64_t i = 0; i < store.size(); ++i) {
    any_fold = any_fold || store.fold(i) >= 0;
    if (std::find(folds.begin(), folds.end(), store.fold(i)) != folds.end()) idx.push_back(i);
  }
  if (!any_fold && role == Role::validation)
    throw ConfigError(store.dir() + ": its records carry no fold, so --val-folds cannot select from it",
                      "validate on a store with folds, or on a store of its own (--val STORE)");
  if (!any_fold) {
    spdlog::info("{}: its records carry no fold; all {} are trained on", store.dir(), store.size());
    idx.resize(std::size_t(store.size()));
    std::iota(idx.begin(), idx.end(), std::int64_t(0));
  }
  if (idx.empty())
    throw ConfigError(store.dir() + ": no record is in the requested folds " + folds_text(folds));
  return idx;
}

void check_store_fits_config(const ShardStore& store, const Config& cfg) {
  const auto& si = store.info();
  if (si.n_samples != cfg.ecg.n_samples || si.n_leads != cfg.ecg.n_leads)
    throw ConfigError(store.dir() + ": store has " + std::to_string(si.n_leads) + " leads × " +
                          std::to_string(si.n_samples) + " samples, the config expects " +
                          std::to_string(cfg.ecg.n_leads) + " × " +
                          std::to_string(cfg.ecg.n_samples),
                      "prepare the store at the config's rate/length or set ecg.n_samples");
}

TrainingStore describe_store(const std::string& path, const ShardStore& store,
                             const std::vector<std::int64_t>& rows) {
  TrainingStore d;
  d.store = path;
  d.dataset = store.info().dataset;
  d.preprocessing_hash = store.info().preprocessing_hash;
  d.store_records = store.info().n_records;
  if (rows.empty())
    for (std::int64_t i = 0; i < store.size(); ++i) d.record_ids.push_back(store.record_id(i));
  else
    for (auto i : rows) d.record_ids.push_back(store.record_id(i));
  return d;
}

// The stores a resumed run is given must hold exactly the records it trained on.
void check_same_training_data(const RunPlan& p, const TrainingData& now) {
  const std::string ctx = p.resume_ckpt + ": --data " + joined(p.data, " ");
  if (p.recorded) {
    const TrainingData& r = *p.recorded;
    std::vector<std::string> recorded_paths;
    for (const auto& s : r.stores) recorded_paths.push_back(s.store);
    if (now.stores.size() != r.stores.size())
      throw ConfigError(ctx + ": the run trained on " + std::to_string(r.stores.size()) +
                            " store(s) (" + joined(recorded_paths, " ") + ")",
                        "resume with the run's own stores: `cgdmer pretrain --resume RUN`");
    for (std::size_t k = 0; k < r.stores.size(); ++k) {
      const TrainingStore &a = r.stores[k], &b = now.stores[k];
      if (b.preprocessing_hash != a.preprocessing_hash || b.store_records != a.store_records)
        throw ConfigError(ctx + ": " + b.store + " is not the store the run trained on (" + a.store +
                              ": " + a.preprocessing_hash + ", " + std::to_string(a.store_records) +
                              " records; given: " + b.preprocessing_hash + ", " +
                              std::to_string(b.store_records) + " records)",
                          "resume with the run's own stores: `cgdmer pretrain --resume RUN`");
      if (b.record_ids != a.record_ids)
        throw ConfigError(ctx + ": " + b.store + " does not hold the run's training records (" +
                          std::to_string(b.record_ids.size()) + " given, " +
                          std::to_string(a.record_ids.size()) + " recorded)");
    }
    return;
  }
  const CheckpointMeta& meta = p.resume_reader->meta();
  const TrainingStore& first = now.stores.front();
  if (now.stores.size() != 1 || meta.store_hash != first.preprocessing_hash ||
      meta.store_records != first.store_records)
    throw ConfigError(p.resume_ckpt + ": checkpoint was trained on another store (" +
                      meta.store_hash + ", " + std::to_string(meta.store_records) +
                      " records); --data is " + first.preprocessing_hash + ", " +
                      std::to_string(first.store_records) + " records");
}

// A store whose token ids another vocabulary made is read in the text encoder's ids; those must
// fit the model (text_tokenizer_for: ConfigError now, not at the first step or validation).
void note_retokenized(const std::string& store, const TextModelConfig& text) {
  text_tokenizer_for(text);
  spdlog::info("{}: its token ids are another vocabulary's than the text encoder's ({}); "
               "its reports are tokenized with the text encoder's",
               store, text.hf_weights.empty() ? "MedCPT" : text.hf_weights);
}

RunData open_data(const RunPlan& p) {
  RunData d;
  for (const auto& path : p.data) d.stores.push_back(ShardStore::open(path));
  std::vector<const ShardStore*> views;
  for (const ShardStore& s : d.stores) {
    check_store_fits_config(s, p.cfg);
    views.push_back(&s);
  }
  d.text_tokenizer = std::make_unique<WordPieceTokenizer>(text_tokenizer_unchecked(p.cfg.text));
  d.set = std::make_unique<StoreSet>(views, d.text_tokenizer.get());
  for (std::size_t k = 0; k < d.stores.size(); ++k)
    if (d.set->retokenizes(k)) note_retokenized(d.stores[k].dir(), p.cfg.text);
  d.record.preprocessing_settings = d.stores.front().info().preprocessing_settings;
  d.record.folds = p.folds;
  d.record.val_store = p.val.empty() && !p.val_folds.empty() ? p.data.front() : p.val;
  d.record.val_folds = p.val_folds;
  for (std::size_t k = 0; k < d.stores.size(); ++k) {
    const auto rows = fold_subset(d.stores[k], p.folds, Role::training);
    d.record.stores.push_back(describe_store(p.data[k], d.stores[k], rows));
    for (auto r : rows) d.subset.push_back(d.set->offset(k) + r);  // none when no --folds
  }
  if (p.resume_reader) check_same_training_data(p, d.record);
  if (!p.val.empty()) d.val_store = std::make_unique<ShardStore>(ShardStore::open(p.val));
  else if (!p.val_folds.empty()) d.val_store = std::make_unique<ShardStore>(ShardStore::open(p.data.front()));
  if (d.val_store) {
    // Validated on other input than it trains on (a min–max store beside an "mv" one), the
    // model's validation figures would mean nothing: refused before the first step.
    check_same_input(d.stores.front(), *d.val_store, "the validation store must hold the training stores' input");
    d.val_rows = fold_subset(*d.val_store, p.val_folds, Role::validation);
    if (ReportTokens(*d.val_store, d.text_tokenizer.get()).retokenizes())
      note_retokenized(d.val_store->dir() + " (validation)", p.cfg.text);
  }
  return d;
}

// ---- 3. Model, optimizer and loop state -------------------------------------------------

struct Trainer {
  CgDmer model{nullptr};
  std::unique_ptr<torch::optim::AdamW> optimizer;
  std::vector<torch::Tensor> params;
  ParamGroupSplit split;
  TrainState state;
};

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

// Same initial weights on every rank (seeded, then rank 0's broadcast), or the resumed
// checkpoint's weights, moments and loop state.
Trainer build_trainer(RunPlan& p, Distributed& dist) {
  Trainer t;
  torch::manual_seed(p.cfg.train.seed);
  t.model = CgDmer(p.cfg);
  t.optimizer = make_adamw(*t.model, p.cfg.train.lr, p.cfg.train.weight_decay, &t.split);
  t.params = t.model->parameters();
  t.state.seed = p.cfg.train.seed;
  t.state.world_size = dist.world_size();
  if (p.resume_reader) {
    p.resume_reader->load(*t.model, t.optimizer.get(), p.cfg.model_hash());
    t.state = train_state_of(p.resume_reader->meta(), p.resume_ckpt);
    p.resume_reader.reset();  // the file's bytes are no longer needed
    if (t.state.world_size != dist.world_size())
      throw ConfigError(p.resume_ckpt + ": checkpoint was written by " +
                        std::to_string(t.state.world_size) + " ranks, this run has " +
                        std::to_string(dist.world_size()));
  }
  if (p.device.is_cuda()) {
    t.model->to(p.device);  // in place: the optimizer keeps the same parameter tensors
    move_optimizer_state(*t.optimizer, p.device);
  }
  if (p.resume_ckpt.empty()) dist.broadcast_module(*t.model);
  return t;
}

Loader make_loader(const RunPlan& p, const RunData& d, const Trainer& t, const Distributed& dist) {
  LoaderOptions lo;
  lo.batch_size = p.cfg.train.batch_size;
  lo.seed = t.state.seed;
  lo.rank = dist.rank();
  lo.world_size = dist.world_size();
  lo.workers = std::max(1, p.cfg.train.loader_workers);
  lo.subset = d.subset;
  return Loader(*d.set, lo, t.state.loader);
}

LrSchedule make_schedule(const TrainConfig& tc, const Loader& loader) {
  const std::int64_t steps_per_epoch =
      std::max<std::int64_t>(1, loader.batches_per_epoch() / std::max(1, tc.grad_accum));
  LrSchedule s;
  s.total = tc.max_steps > 0 ? tc.max_steps : tc.epochs * steps_per_epoch;
  s.base_lr = tc.lr;
  s.min_lr = tc.lr * tc.min_lr_fraction;
  s.warmup = std::int64_t(std::llround(tc.warmup_fraction * double(s.total)));
  return s;
}

// ---- 4. One optimizer step --------------------------------------------------------------

struct StepContext {
  const Config& cfg;
  const PretrainOptions& opt;
  const CollateOptions& collate;
  const torch::Device& device;
  bool bf16;
  Distributed& dist;
  GatherFn gather;
};

// Forward and backward over train.grad_accum micro-batches; gradients accumulate in .grad().
// With several ranks, the last micro-batch's backward overlaps the gradient all-reduce
// (`reducer`, finished by the caller).
// `diagnostics` (non-null on diagnostic steps) receives each loss term's gradient norm at the
// encoders, taken from the first micro-batch.
StepStats accumulate_gradients(Trainer& t, BatchPrefetcher& batches, const StepContext& c,
                               GradientReducer* reducer, nlohmann::json* diagnostics) {
  const int accum = c.cfg.train.grad_accum;
  StepStats stats;
  for (int micro = 0; micro < accum; ++micro) {
    DeviceBatch batch = batches.take();
    ForwardOverrides ov;
    ov.ids_keep = batch.ids_keep;
    CgDmerOutputs out;
    {
      AutocastGuard ag(c.bf16, c.device);
      out = t.model->forward_with(batch.inputs, torch::Generator(), c.gather, ov);
    }
    batches.read_ahead();  // CUDA: the next copy runs while this forward's kernels do
    if (c.opt.poison_loss_at && c.opt.poison_loss_at(t.state.step + 1))  // fault injection
      out.loss = out.loss * std::numeric_limits<float>::quiet_NaN();
    if (diagnostics && micro == 0) per_term_gradient_norms(t.model, out, *diagnostics);
    stats.add_micro_batch(out, out.loss.item<double>(), batch.host.token_ids, 1.0 / accum);
    if (reducer && micro == accum - 1) reducer->arm();  // the last backward all-reduces
    (out.loss / accum).backward();
    t.state.epoch = batch.host.epoch;
  }
  t.state.loader = batches.position();
  return stats;
}

// Clips and applies AdamW, or skips the step when a loss or the gradient norm is not finite
// (bf16 overflow, bad batch): the norm comes after the all-reduce, so every rank takes the same
// decision. Returns the gradient norm before clipping (NaN on a skipped step).
double clip_and_update(Trainer& t, const StepStats& stats, const TrainConfig& tc,
                       Distributed& dist) {
  GradClip clip;
  bool bad = stats.nonfinite > 0;
  if (!bad) {
    clip = gradient_clip(t.params, tc.grad_clip);
    bad = !std::isfinite(clip.norm);
  }
  if (bad) {
    ++t.state.bad_steps_in_row;
    drop_gradients(t.params);
    CGDMER_LOG0(dist, "step=%lld skipped: non-finite %s (%d in a row)",
                (long long)t.state.step + 1, stats.nonfinite > 0 ? "loss" : "gradient norm",
                t.state.bad_steps_in_row);
    return std::nan("");
  }
  t.state.bad_steps_in_row = 0;
  adamw_step(*t.optimizer, clip.scale);  // the clip factor is applied inside the fused pass
  return clip.norm;
}

void stop_after_too_many_bad_steps(const TrainState& s, const TrainConfig& tc) {
  if (s.bad_steps_in_row >= tc.max_bad_steps)
    throw Error("stopping: " + std::to_string(s.bad_steps_in_row) +
                    " consecutive steps with a non-finite loss or gradient norm at step " +
                    std::to_string(s.step),
                "lower train.lr, use --precision fp32, or check the data");
}

nlohmann::json step_line(const Trainer& t, const StepStats& stats, double lr, double grad_norm,
                         double step_s, double pairs_per_step, double data_wait, int world) {
  const bool skipped = !std::isfinite(grad_norm);
  nlohmann::json j{{"step", t.state.step},
                   {"epoch", t.state.epoch},
                   {"lr", lr},
                   {"loss", skipped ? nlohmann::json(nullptr) : nlohmann::json(stats.loss / world)},
                   {"grad_norm", skipped ? 0.0 : grad_norm},
                   {"pairs_per_s", pairs_per_step / step_s},
                   {"data_wait", data_wait},
                   {"skipped", skipped}};
  stats.write_json(j);
  if (auto s = t.model->siglip_log_scale(); s.defined()) {
    j["siglip_scale"] = s.exp().item<double>();
    j["siglip_bias"] = t.model->siglip_bias().item<double>();
  }
  return j;
}

// ---- 5. Checkpoints and validation ------------------------------------------------------

void save_step_checkpoint(Trainer& t, const RunPlan& p, const RunData& d,
                          RunFolder& folder, Distributed& dist) {
  if (dist.is_main()) {
    CheckpointMeta m;
    m.config_toml = p.cfg.to_toml();
    m.model_hash = p.cfg.model_hash();
    const StoreInfo& first = d.stores.front().info();  // the record covers every store
    m.store_version = first.version;
    m.store_hash = first.preprocessing_hash;
    m.store_records = first.n_records;
    m.train_state = to_json(t.state);
    m.training_data = to_json(d.record);
    save_checkpoint(checkpoint_path(folder.dir(), t.state.step), *t.model, t.optimizer.get(), m,
                    at::detail::getDefaultCPUGenerator().get_state());
    prune_checkpoints(folder.dir(), p.cfg.train.keep_last);
    folder.plot_curves();
  }
  dist.barrier();  // no rank runs ahead of a checkpoint that may be resumed
}

void validate_and_mark_best(Trainer& t, const RunPlan& p, const RunData& d, const StepContext& c,
                            RunFolder& folder) {
  if (!d.val_store) return;
  ValidationSetup v;
  v.store = d.val_store.get();
  v.rows = d.val_rows;
  v.collate = c.collate;
  v.text_tokenizer = d.text_tokenizer.get();
  v.seed = t.state.seed;
  v.precision = p.precision;
  const ValidationReport rep = validate(t.model, p.cfg, v, c.dist);
  CGDMER_LOG0(c.dist, "val step=%lld val_loss=%.6f val_zeroshot_auc=%.4f", (long long)t.state.step,
              rep.loss, rep.zero_shot_auc);
  nlohmann::json j{{"step", t.state.step}};
  rep.write_json(j);
  folder.log(j);
  const double score = rep.score();  // higher is better
  if (std::isfinite(score) && score > t.state.best_val) {
    t.state.best_val = score;
    t.state.best_step = t.state.step;
    save_step_checkpoint(t, p, d, folder, c.dist);
    if (c.dist.is_main()) mark_best_checkpoint(folder.dir(), checkpoint_path(folder.dir(), t.state.step));
  }
}

bool every(std::int64_t step, int k) { return k > 0 && step % k == 0; }

}  // namespace

// ---- The algorithm ----------------------------------------------------------------------

PretrainResult run_pretrain(const PretrainOptions& opt) {
  const auto t_start = Clock::now();
  PretrainResult res;
  RunPlan plan = plan_run(opt);
  const Config& cfg = plan.cfg;
  const TrainConfig& tc = cfg.train;
  res.bf16 = plan.precision == Precision::bf16;
  if (opt.dry_run) {
    torch::manual_seed(tc.seed);
    std::printf("%s\n", describe(*CgDmer(cfg)).c_str());
    std::printf("precision: %s\n", res.bf16 ? "bf16 autocast (fp32 master weights)" : "fp32");
    return res;
  }

  set_tf32(tc.tf32);
  DistOptions dopt = opt.dist;
  dopt.device = plan.device;
  Distributed dist(dopt);
  const RunData data = open_data(plan);
  Trainer t = build_trainer(plan, dist);
  Loader loader = make_loader(plan, data, t, dist);
  const LrSchedule sched = make_schedule(tc, loader);
  const CollateOptions copt = CollateOptions::from_config(cfg);
  RunFolder folder(plan.run_dir, dist.is_main(), cfg, plan.resume_ckpt.empty() ? -1 : t.state.step);
  res.run_dir = plan.run_dir;
  if (dist.is_main()) std::fprintf(stderr, "%s", cfg.to_toml().c_str());
  CGDMER_LOG0(dist,
              "pretrain run=%s store=%s folds=%s records=%zu world=%d batch/rank=%d accum=%d "
              "steps=%lld start=%lld precision=%s tf32=%s device=%s params_decay=%lld "
              "params_no_decay=%lld",
              plan.run_dir.c_str(), joined(plan.data, ",").c_str(), folds_text(plan.folds).c_str(),
              std::size_t(data.subset.empty() ? data.set->size() : std::int64_t(data.subset.size())), dist.world_size(), tc.batch_size, tc.grad_accum,
              (long long)sched.total, (long long)t.state.step, res.bf16 ? "bf16" : "fp32",
              tc.tf32 ? "on" : "off",
              plan.device.is_cuda() ? cuda_device_description(plan.device).c_str() : "cpu",
              (long long)t.split.decay_numel, (long long)t.split.no_decay_numel);

  const StepContext ctx{cfg, opt, copt, plan.device, res.bf16, dist,
                        [&](const torch::Tensor& x) { return dist.all_gather_with_local_grad(x); }};
  BatchPrefetcher batches(loader, cfg, copt, t.state.seed, plan.device);
  std::unique_ptr<GradientReducer> reducer;
  if (dist.world_size() > 1) reducer = std::make_unique<GradientReducer>(dist, t.params);
  const double pairs_per_step = double(tc.batch_size) * tc.grad_accum * dist.world_size();
  Progress progress("pretrain", sched.total - t.state.step, "steps");
  double wait_prev = loader.wait_seconds(), pairs_done = 0, train_s = 0;
  res.first_step = t.state.step;
  t.model->train();
  while (t.state.step < sched.total) {
    const auto t0 = Clock::now();
    const std::int64_t step = t.state.step + 1;  // the step being taken, 1-based
    set_learning_rate(*t.optimizer, sched.at(t.state.step));
    torch::manual_seed(sample_seed(tc.seed, dist.rank(), t.state.step));  // dropout stream
    drop_gradients(t.params);

    nlohmann::json grad_norms = nlohmann::json::object();
    const bool diagnose = step == 1 || every(step, tc.diagnose_every);
    StepStats stats =
        accumulate_gradients(t, batches, ctx, reducer.get(), diagnose ? &grad_norms : nullptr);
    if (reducer) reducer->finish();
    stats = StepStats::unpack(dist.allreduce_sum(stats.pack()));
    const double grad_norm = clip_and_update(t, stats, tc, dist);
    t.state.step = step;

    const double dt = seconds_since(t0);
    train_s += dt;
    pairs_done += pairs_per_step;
    const bool skipped = !std::isfinite(grad_norm);
    res.steps.push_back({step, stats.loss / dist.world_size(), skipped});
    if (every(step, std::max(1, tc.log_every)) || step == res.first_step + 1 ||
        step == sched.total || skipped || diagnose) {
      auto line = step_line(t, stats, sched.at(step - 1), grad_norm, dt, pairs_per_step,
                            loader.wait_seconds() - wait_prev, dist.world_size());
      line.update(grad_norms);
      if (plan.device.is_cuda())  // torch's caching allocator, this rank's GPU
        line["cuda_peak_gib"] = double(cuda_peak_allocated_bytes(plan.device)) / double(1ull << 30);
      folder.log(line);
      wait_prev = loader.wait_seconds();
    }
    if (dist.is_main() && opt.show_progress) {
      char sfx[96];
      std::snprintf(sfx, sizeof sfx, "loss=%.4f %.1f pairs/s", stats.loss / dist.world_size(),
                    pairs_per_step / dt);
      progress.advance(1, sfx);
    }
    stop_after_too_many_bad_steps(t.state, tc);
    if (opt.after_step) opt.after_step(step);
    if (every(step, tc.val_every)) validate_and_mark_best(t, plan, data, ctx, folder);
    if (every(step, tc.save_every) && step < sched.total)
      save_step_checkpoint(t, plan, data, folder, dist);
  }
  if (res.first_step < sched.total) {  // the final validation and checkpoint
    if (!every(sched.total, tc.val_every)) validate_and_mark_best(t, plan, data, ctx, folder);
    save_step_checkpoint(t, plan, data, folder, dist);
  }
  if (dist.is_main() && opt.show_progress) progress.finish();
  res.last_step = t.state.step;
  res.wall_s = seconds_since(t_start);
  res.pairs_per_s = train_s > 0 ? pairs_done / train_s : 0;
  CGDMER_LOG0(dist, "done steps=%lld wall_s=%.1f pairs_per_s=%.2f run=%s",
              (long long)res.last_step, res.wall_s, res.pairs_per_s, plan.run_dir.c_str());
  return res;
}

}  // namespace cgdmer
