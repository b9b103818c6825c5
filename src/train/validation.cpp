// Implements validation.h.
#include "train/validation.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/paths.h"
#include "data/report_tokens.h"
#include "data/store_set.h"
#include "eval/features.h"
#include "eval/tasks.h"
#include "eval/zero_shot.h"
#include "model/compat.h"
#include "model/text_tokenizer.h"
#include "text/tokenizer.h"

namespace cgdmer {
namespace {

constexpr int kLossBatches = 20;
constexpr std::int64_t kAnalysisRecords = 1000;

std::vector<std::int64_t> all_rows(const ValidationSetup& v) {
  if (!v.rows.empty()) return v.rows;
  std::vector<std::int64_t> r(std::size_t(v.store->size()));
  for (std::int64_t i = 0; i < v.store->size(); ++i) r[std::size_t(i)] = i;
  return r;
}

// Mean total loss over the first batches of the validation records, fixed masks.
double validation_loss(CgDmer& model, const Config& cfg, const ValidationSetup& v,
                       Distributed& dist, const torch::Device& device) {
  torch::NoGradGuard ng;
  LoaderOptions lo;
  lo.subset = v.rows;
  const auto n_val = v.rows.empty() ? v.store->size() : std::int64_t(v.rows.size());
  lo.batch_size = std::min<int>(cfg.train.batch_size, int(n_val / dist.world_size()));
  lo.shuffle = false;
  lo.rank = dist.rank();
  lo.world_size = dist.world_size();
  lo.workers = 1;
  double sum = 0, n = 0;
  if (lo.batch_size > 0) {
    Loader loader(StoreSet({v.store}, v.text_tokenizer), lo);
    const auto nb = std::min<std::int64_t>(kLossBatches, loader.batches_per_epoch());
    for (std::int64_t i = 0; i < nb; ++i) {
      Batch b = loader.next();
      auto in = to_device(collate(b, v.collate, v.seed), device);
      ForwardOverrides ov;
      if (cfg.ecg.mask_ratio > 0) ov.ids_keep = sample_patch_masks(b, cfg, v.seed).to(device);
      AutocastGuard ag(v.precision == Precision::bf16, device);
      auto out = model->forward_with(in, torch::Generator(), nullptr, ov);
      sum += out.loss.item<double>() * b.size();
      n += b.size();
    }
  }
  auto r = dist.allreduce_sum({sum, n});
  return r[1] > 0 ? r[0] / r[1] : std::nan("");
}

// Zero-shot macro AUC of every task whose labels the store carries.
void zero_shot(CgDmer& model, const ValidationSetup& v, const std::vector<std::int64_t>& rows,
               ValidationReport& rep) {
  const ShardStore& val = *v.store;
  std::vector<std::pair<const TaskDef*, LabelSetMatch>> usable;
  for (const auto& task : all_tasks()) {
    if (task.dataset != val.info().dataset) continue;
    try {
      usable.push_back({&task, match_label_set(task, val.info().label_sets, val.dir())});
    } catch (const ConfigError&) {
      // the store lacks this task's classes: not part of validation
    }
  }
  if (usable.empty() || rows.empty()) return;
  FeatureOptions fo;
  fo.precision = v.precision;
  fo.progress = false;
  fo.want_features = false;
  fo.want_shared = true;
  const EcgFeatures f = extract_features(model, val, rows, fo);  // (N, E)
  static const auto prompts = load_prompts(resource_path("assets/prompts/CKEPE_prompt.json"));
  const WordPieceTokenizer tok = text_tokenizer_for(model->config().text);
  double sum = 0;
  int n_scored = 0;
  for (const auto& [task, match] : usable) {
    const int C = int(task->classes.size());
    std::vector<std::uint8_t> labels;
    labels.reserve(rows.size() * std::size_t(C));
    for (auto r : rows) {
      const auto l = val.labels(r, match.set);
      for (int c = 0; c < C; ++c) labels.push_back(l[std::size_t(match.column[std::size_t(c)])]);
    }
    const double auc =
        score_zero_shot_task(model, tok, prompts_for(prompts, task->prompt_keys, "CKEPE_prompt.json"),
                             f.shared, labels)
            .auc.macro;
    rep.zero_shot_tasks.push_back({task->name, auc});
    if (std::isfinite(auc)) {  // NaN: no class has both positives and negatives here
      sum += auc;
      ++n_scored;
    }
  }
  if (n_scored > 0) rep.zero_shot_auc = sum / double(n_scored);
}

// Retrieval recall and effective ranks on the first kAnalysisRecords validation records.
void representation_analysis(CgDmer& model, const Config& cfg, const ValidationSetup& v,
                             std::vector<std::int64_t> rows, const torch::Device& device,
                             ValidationReport& rep) {
  if (std::int64_t(rows.size()) > kAnalysisRecords) rows.resize(std::size_t(kAnalysisRecords));
  if (rows.size() < 2) return;
  torch::NoGradGuard ng;
  const ShardStore& val = *v.store;
  const int L = val.info().n_leads, S = val.info().n_samples, T = cfg.text.max_len;
  const ReportTokens report_tokens(val, v.text_tokenizer);  // the text encoder's own ids
  std::vector<torch::Tensor> ep, es, esp, tp, ts, tsp;
  std::vector<std::vector<std::int32_t>> reports;
  const std::int64_t batch = 64;
  for (std::size_t s = 0; s < rows.size(); s += batch) {
    const std::int64_t B = std::min<std::int64_t>(batch, std::int64_t(rows.size() - s));
    auto x = torch::empty({B, L, S}, torch::kFloat32);
    auto ids = torch::zeros({B, T}, torch::kLong), mask = torch::zeros({B, T}, torch::kLong);
    for (std::int64_t i = 0; i < B; ++i) {
      const auto r = rows[s + std::size_t(i)];
      val.read_signal(r, x.data_ptr<float>() + i * L * S);
      auto tok = report_tokens(r);
      reports.push_back(tok);
      for (int t = 0; t < std::min<int>(T, int(tok.size())); ++t) {
        ids[i][t] = tok[std::size_t(t)];
        mask[i][t] = 1;
      }
      if (int(tok.size()) > T) ids[i][T - 1] = v.collate.sep_id;  // cut as training cuts: [SEP] last
    }
    AutocastGuard ag(v.precision == Precision::bf16, device);
    const auto e = model->ecg_embeddings(x.to(device));
    const auto t = model->text_embeddings(ids.to(device), mask.to(device));
    auto cpu = [](const torch::Tensor& a) { return a.to(torch::kCPU, torch::kFloat32); };
    ep.push_back(cpu(e.pooled));
    es.push_back(cpu(e.shared));
    tp.push_back(cpu(t.pooled));
    ts.push_back(cpu(t.shared));
    if (e.specific.defined()) esp.push_back(cpu(e.specific));
    if (t.specific.defined()) tsp.push_back(cpu(t.specific));
  }
  namespace F = torch::nn::functional;
  const auto unit = F::NormalizeFuncOptions().dim(1);
  rep.recall = retrieval_recall(F::normalize(torch::cat(es), unit), F::normalize(torch::cat(ts), unit),
                                identical_groups(reports), {1, 5, 10});
  rep.effective_ranks.push_back({"ecg_pooled", effective_rank(torch::cat(ep))});
  rep.effective_ranks.push_back({"ecg_shared", effective_rank(torch::cat(es))});
  if (!esp.empty()) rep.effective_ranks.push_back({"ecg_specific", effective_rank(torch::cat(esp))});
  rep.effective_ranks.push_back({"text_pooled", effective_rank(torch::cat(tp))});
  rep.effective_ranks.push_back({"text_shared", effective_rank(torch::cat(ts))});
  if (!tsp.empty()) rep.effective_ranks.push_back({"text_specific", effective_rank(torch::cat(tsp))});
}

}  // namespace

double ValidationReport::score() const {
  return std::isfinite(zero_shot_auc) ? zero_shot_auc : -loss;
}

void ValidationReport::write_json(nlohmann::json& j) const {
  j["val_loss"] = loss;
  if (std::isfinite(zero_shot_auc)) j["val_zeroshot_auc"] = zero_shot_auc;
  for (const auto& [task, auc] : zero_shot_tasks)
    if (std::isfinite(auc)) j["val_zeroshot_auc_" + task] = auc;
  for (const auto& r : recall) {
    j["val_recall@" + std::to_string(r.k)] = r.recall;
    j["val_recall@" + std::to_string(r.k) + "_chance"] = r.chance;
  }
  for (const auto& [name, rank] : effective_ranks) j["val_erank_" + name] = rank;
}

ValidationReport validate(CgDmer& model, const Config& cfg, const ValidationSetup& v,
                          Distributed& dist) {
  ValidationReport rep;
  const torch::Device device = model->parameters().front().device();
  model->eval();
  rep.loss = validation_loss(model, cfg, v, dist, device);
  const auto rows = all_rows(v);
  zero_shot(model, v, rows, rep);
  representation_analysis(model, cfg, v, rows, device, rep);
  model->train();
  return rep;
}

}  // namespace cgdmer
