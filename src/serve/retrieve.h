// `cgdmer retrieve`: cross-modal retrieval in the shared space (f_sh, L2-normalised, cosine).
//   ECG → report: the query is a record file; candidates are the store's reports.
//   report → ECG: the query is free text; candidates are the store's ECGs.
//   evaluate: recall@1/5/10 over a store, both directions, each ECG's own report the positive.
// Records without a report are left out of the report side (and of evaluation).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "data/shard_store.h"
#include "model/cgdmer_model.h"
#include "model/precision.h"

namespace cgdmer {

struct RetrieveOptions {
  std::string model;
  std::string query;     // a record path (→ reports) or text (→ ECGs)
  std::string against;   // store folder
  int k = 10;
  bool evaluate = false;  // recall@K over the store instead of a query
  int batch_size = 64;
  Precision precision = Precision::fp32;
  bool progress = true;
  std::string device = "cpu";  // cpu | cuda | cuda:N (model/model_loading.h parse_device)
};

struct RetrievalHit {
  std::int64_t row = 0;
  std::string record_id, report;
  double score = 0;
};

struct RetrievalResult {
  std::string direction;  // "ecg->report" | "report->ecg"
  std::string query;      // record path or text
  std::vector<RetrievalHit> hits;
};

struct RecallResult {
  std::int64_t n = 0;                 // records with a report
  std::vector<int> ks = {1, 5, 10};
  std::vector<double> ecg_to_report;  // recall@k, own report the only positive
  std::vector<double> report_to_ecg;
  // Same, counting any record with an identical report text as a hit (PTB-XL repeats
  // short reports verbatim, so the strict numbers undercount a correct retrieval).
  std::vector<double> ecg_to_report_same_text, report_to_ecg_same_text;
};

// (N, E) store embeddings for `rows` (ECG side / report side), L2-normalised.
torch::Tensor store_ecg_embeddings(CgDmer& model, const ShardStore& store,
                                   const std::vector<std::int64_t>& rows, int batch, bool bf16,
                                   bool progress);
torch::Tensor store_report_embeddings(CgDmer& model, const ShardStore& store,
                                      const std::vector<std::int64_t>& rows, int batch, bool bf16,
                                      bool progress);

// recall@k from an (N, N) similarity (rows ECGs, columns reports, diagonal = own pair).
// A query counts as hit at k when fewer than k negatives score at or above its best
// positive (ties resolved against the query). positives[i]: sorted columns that count as
// hits for row i besides i itself (e.g. records with the identical report text).
std::vector<double> recall_at_k(const torch::Tensor& sim, const std::vector<int>& ks,
                                const std::vector<std::vector<std::int64_t>>* positives = nullptr);

RetrievalResult run_retrieve(const RetrieveOptions& o);
RecallResult run_retrieval_evaluation(const RetrieveOptions& o);
std::string retrieval_json(const RetrievalResult& r);
std::string recall_json(const RecallResult& r, const std::string& store);

}  // namespace cgdmer
