// Implements retrieve.h.
#include "serve/retrieve.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/progress.h"
#include "data/report_tokens.h"
#include "model/compat.h"
#include "model/model_loading.h"
#include "model/text_tokenizer.h"
#include "serve/embed.h"
#include "serve/serving_model.h"
#include "text/tokenizer.h"

namespace cgdmer {
namespace fs = std::filesystem;

namespace {

// (B, T) ids/mask from [CLS] ... [SEP] lists, truncated to max_len keeping [SEP] last
// (as the training collate does), zero-padded.
void pack_ids(const std::vector<std::vector<std::int32_t>>& lists, int max_len, int sep,
              torch::Tensor* ids, torch::Tensor* mask) {
  const auto B = std::int64_t(lists.size());
  *ids = torch::zeros({B, max_len}, torch::kLong);
  *mask = torch::zeros({B, max_len}, torch::kLong);
  auto pi = ids->accessor<std::int64_t, 2>();
  auto pm = mask->accessor<std::int64_t, 2>();
  for (std::int64_t b = 0; b < B; ++b) {
    auto v = lists[size_t(b)];
    if (int(v.size()) > max_len) {
      v.resize(size_t(max_len));
      v.back() = sep;
    }
    for (size_t t = 0; t < v.size(); ++t) pi[b][std::int64_t(t)] = v[t], pm[b][std::int64_t(t)] = 1;
  }
}

std::vector<std::int64_t> rows_with_reports(const ShardStore& store) {
  std::vector<std::int64_t> rows;
  for (std::int64_t i = 0; i < store.size(); ++i)
    if (!store.report(i).empty()) rows.push_back(i);
  return rows;
}

bool looks_like_record_path(const std::string& q) {
  std::error_code ec;
  if (fs::exists(q, ec) || fs::exists(q + ".hea", ec)) return true;
  // A missing file is still a path when it looks like one (not a sentence).
  const auto ext = fs::path(q).extension().string();
  return q.find(' ') == std::string::npos &&
         (ext == ".hea" || ext == ".mat" || ext == ".dat" || ext == ".npy" || q.find('/') != std::string::npos);
}

}  // namespace

torch::Tensor store_ecg_embeddings(CgDmer& model, const ShardStore& store,
                                   const std::vector<std::int64_t>& rows, int batch, bool bf16,
                                   bool progress) {
  const auto& info = store.info();
  const int L = info.n_leads, S = info.n_samples;
  torch::NoGradGuard ng;
  std::vector<torch::Tensor> out;
  Progress prog("ECG embeddings", std::int64_t(rows.size()), "ECGs");
  for (size_t s = 0; s < rows.size(); s += size_t(batch)) {
    const auto B = std::int64_t(std::min(rows.size() - s, size_t(batch)));
    auto x = torch::empty({B, L, S}, torch::kFloat32);
    for (std::int64_t i = 0; i < B; ++i) store.read_signal(rows[s + size_t(i)], x.data_ptr<float>() + i * L * S);
    AutocastGuard ac(bf16, model_device(model));
    out.push_back(model->ecg_shared(x.to(model_device(model))).to(torch::kCPU, torch::kFloat32));
    if (progress) prog.advance(B);
  }
  if (progress) prog.finish();
  return out.empty() ? torch::zeros({0, 0}) : torch::cat(out, 0);
}

torch::Tensor store_report_embeddings(CgDmer& model, const ShardStore& store,
                                      const std::vector<std::int64_t>& rows, int batch, bool bf16,
                                      bool progress) {
  const auto& cfg = model->config();
  const WordPieceTokenizer tok = text_tokenizer_for(cfg.text);
  const ReportTokens report_tokens(store, &tok);  // the text encoder's own ids
  torch::NoGradGuard ng;
  std::vector<torch::Tensor> out;
  Progress prog("report embeddings", std::int64_t(rows.size()), "reports");
  for (size_t s = 0; s < rows.size(); s += size_t(batch)) {
    const size_t B = std::min(rows.size() - s, size_t(batch));
    std::vector<std::vector<std::int32_t>> lists;
    for (size_t i = 0; i < B; ++i) lists.push_back(report_tokens(rows[s + i]));
    torch::Tensor ids, mask;
    pack_ids(lists, cfg.text.max_len, tok.sep_id(), &ids, &mask);
    const torch::Device dev = model_device(model);
    AutocastGuard ac(bf16, dev);
    out.push_back(model->text_shared(ids.to(dev), mask.to(dev)).to(torch::kCPU, torch::kFloat32));
    if (progress) prog.advance(std::int64_t(B));
  }
  if (progress) prog.finish();
  return out.empty() ? torch::zeros({0, 0}) : torch::cat(out, 0);
}

std::vector<double> recall_at_k(const torch::Tensor& sim, const std::vector<int>& ks,
                                const std::vector<std::vector<std::int64_t>>* positives) {
  const auto N = sim.size(0);
  auto s = sim.to(torch::kFloat32).contiguous();
  auto a = s.accessor<float, 2>();
  std::vector<double> hits(ks.size(), 0.0);
  for (std::int64_t i = 0; i < N; ++i) {
    float best = a[i][i];
    if (positives)
      for (auto j : (*positives)[size_t(i)]) best = std::max(best, a[i][j]);
    // Negatives scoring at or above the best positive: ties count against the query, so a
    // collapsed model (all scores equal) gets recall 0, not 1.
    std::int64_t higher = 0;
    for (std::int64_t j = 0; j < s.size(1); ++j) {
      if (a[i][j] < best) continue;
      bool pos = j == i;
      if (positives && !pos)
        pos = std::binary_search((*positives)[size_t(i)].begin(), (*positives)[size_t(i)].end(), j);
      if (!pos) ++higher;
    }
    for (size_t k = 0; k < ks.size(); ++k)
      if (higher < ks[k]) hits[k] += 1;
  }
  for (auto& h : hits) h = N > 0 ? h / double(N) : 0.0;
  return hits;
}

RetrievalResult run_retrieve(const RetrieveOptions& o) {
  if (o.k <= 0) throw ConfigError("-k must be positive");
  if (o.query.empty()) throw ConfigError("retrieve: --query is empty", "give a record path or report text");
  Config cfg;
  std::string contract;
  const torch::Device device = parse_device(o.device);
  CgDmer model = load_serving_model(o.model, &cfg, &contract);
  model->to(device);
  const bool bf16 = uses_bf16(o.precision, device);
  ShardStore store = open_store_for_model(o.against, cfg, contract);
  RetrievalResult r;
  r.query = o.query;
  torch::NoGradGuard ng;
  std::vector<std::int64_t> rows;
  torch::Tensor q, cands;
  if (looks_like_record_path(o.query)) {
    r.direction = "ecg->report";
    const PreparedRecord rec = prepare_record_for_model(o.query, cfg, contract);
    auto x = torch::from_blob(const_cast<float*>(rec.data.data()), {1, cfg.ecg.n_leads, cfg.ecg.n_samples});
    {
      AutocastGuard ac(bf16, device);
      q = model->ecg_shared(x.to(device), rec.leads).to(torch::kCPU, torch::kFloat32);
    }
    rows = rows_with_reports(store);
    if (rows.empty()) throw FormatError(o.against, "store holds no reports to retrieve");
    cands = store_report_embeddings(model, store, rows, o.batch_size, bf16, o.progress);
  } else {
    r.direction = "report->ecg";
    const WordPieceTokenizer tok = text_tokenizer_for(cfg.text);
    std::string lower = o.query;  // prompts are lower-cased (zero-shot convention)
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    torch::Tensor ids, mask;
    pack_ids({tok.encode(lower)}, cfg.text.max_len, tok.sep_id(), &ids, &mask);
    {
      AutocastGuard ac(bf16, device);
      q = model->text_shared(ids.to(device), mask.to(device)).to(torch::kCPU, torch::kFloat32);
    }
    for (std::int64_t i = 0; i < store.size(); ++i) rows.push_back(i);
    if (rows.empty()) throw FormatError(o.against, "store holds no records");
    cands = store_ecg_embeddings(model, store, rows, o.batch_size, bf16, o.progress);
  }
  auto scores = q.mm(cands.t()).squeeze(0);  // (N)
  const auto k = std::min<std::int64_t>(o.k, scores.size(0));
  auto top = scores.topk(k);
  auto vals = std::get<0>(top), idx = std::get<1>(top);
  for (std::int64_t i = 0; i < k; ++i) {
    const auto row = rows[size_t(idx[i].item<std::int64_t>())];
    r.hits.push_back({row, store.record_id(row), store.report(row), double(vals[i].item<float>())});
  }
  return r;
}

RecallResult run_retrieval_evaluation(const RetrieveOptions& o) {
  Config cfg;
  std::string contract;
  const torch::Device device = parse_device(o.device);
  CgDmer model = load_serving_model(o.model, &cfg, &contract);
  model->to(device);
  const bool bf16 = uses_bf16(o.precision, device);
  ShardStore store = open_store_for_model(o.against, cfg, contract);
  const auto rows = rows_with_reports(store);
  if (rows.size() < 2) throw FormatError(o.against, "store needs at least 2 records with reports to evaluate retrieval");
  auto e = store_ecg_embeddings(model, store, rows, o.batch_size, bf16, o.progress);
  auto t = store_report_embeddings(model, store, rows, o.batch_size, bf16, o.progress);
  auto sim = e.mm(t.t());  // (N, N): rows ECGs, columns reports
  RecallResult r;
  r.n = std::int64_t(rows.size());
  r.ecg_to_report = recall_at_k(sim, r.ks);
  r.report_to_ecg = recall_at_k(sim.t(), r.ks);
  // Positives by identical report text (symmetric, so one list serves both directions).
  std::map<std::string, std::vector<std::int64_t>> by_text;
  for (size_t i = 0; i < rows.size(); ++i) by_text[store.report(rows[i])].push_back(std::int64_t(i));
  std::vector<std::vector<std::int64_t>> pos(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) pos[i] = by_text[store.report(rows[i])];  // sorted
  r.ecg_to_report_same_text = recall_at_k(sim, r.ks, &pos);
  r.report_to_ecg_same_text = recall_at_k(sim.t(), r.ks, &pos);
  return r;
}

std::string retrieval_json(const RetrievalResult& r) {
  nlohmann::ordered_json j;
  j["direction"] = r.direction;
  j["query"] = r.query;
  auto arr = nlohmann::ordered_json::array();
  for (const auto& h : r.hits)
    arr.push_back({{"rank", arr.size() + 1}, {"score", h.score}, {"record_id", h.record_id},
                   {"row", h.row}, {"report", h.report}});
  j["results"] = arr;
  return j.dump(2);
}

std::string recall_json(const RecallResult& r, const std::string& store) {
  nlohmann::ordered_json j;
  j["store"] = store;
  j["n"] = r.n;
  auto block = [&](const std::vector<double>& v) {
    nlohmann::ordered_json b;
    for (size_t i = 0; i < r.ks.size(); ++i) b["R@" + std::to_string(r.ks[i])] = v[i];
    return b;
  };
  j["ecg_to_report"] = block(r.ecg_to_report);
  j["report_to_ecg"] = block(r.report_to_ecg);
  j["same_text_positives"] = {{"ecg_to_report", block(r.ecg_to_report_same_text)},
                              {"report_to_ecg", block(r.report_to_ecg_same_text)}};
  j["chance_R@1"] = r.n > 0 ? 1.0 / double(r.n) : 0.0;
  return j.dump(2);
}

}  // namespace cgdmer
