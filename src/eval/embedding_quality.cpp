// Implements embedding_quality.h.
#include "eval/embedding_quality.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.h"

namespace cgdmer {

double effective_rank(const torch::Tensor& features) {
  if (features.dim() != 2 || features.size(0) < 2)
    throw Error("effective_rank: needs an (N, D) matrix with N ≥ 2");
  auto x = features.detach().to(torch::kCPU, torch::kFloat64);
  x = x - x.mean(0, true);
  const auto s = torch::linalg_svdvals(x);
  const double total = s.sum().item<double>();
  if (!(total > 0)) return 0.0;  // every row equal: no spread at all
  const auto p = s / total;
  const auto nz = p.masked_select(p > 0);
  return std::exp(-(nz * nz.log()).sum().item<double>());
}

std::vector<std::int64_t> identical_groups(const std::vector<std::vector<std::int32_t>>& seqs) {
  std::map<std::vector<std::int32_t>, std::int64_t> seen;
  std::vector<std::int64_t> out;
  out.reserve(seqs.size());
  for (const auto& s : seqs) out.push_back(seen.emplace(s, std::int64_t(seen.size())).first->second);
  return out;
}

std::vector<RetrievalRecall> retrieval_recall(const torch::Tensor& ecg, const torch::Tensor& text,
                                              const std::vector<std::int64_t>& report_group,
                                              const std::vector<int>& ks) {
  const std::int64_t n = ecg.size(0);
  if (text.size(0) != n || std::int64_t(report_group.size()) != n || n == 0)
    throw Error("retrieval_recall: ECG, report and group counts differ (or are 0)");
  const auto sim = ecg.to(torch::kFloat32).mm(text.to(torch::kFloat32).t());  // (N, N)
  const int kmax = std::min<std::int64_t>(n, *std::max_element(ks.begin(), ks.end()));
  const auto top = std::get<1>(sim.topk(kmax, 1)).contiguous();  // (N, kmax) report indices
  const auto* idx = top.data_ptr<std::int64_t>();
  std::map<std::int64_t, std::int64_t> group_size;
  for (auto g : report_group) ++group_size[g];
  std::vector<RetrievalRecall> out;
  for (int k0 : ks) {
    const int k = std::min<std::int64_t>(k0, n);
    double hits = 0, chance = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      const auto g = report_group[std::size_t(i)];
      for (int j = 0; j < k; ++j)
        if (report_group[std::size_t(idx[i * kmax + j])] == g) {
          hits += 1;
          break;
        }
      // A random ranking misses all m same-text reports in its first k with probability
      // C(n−m, k) / C(n, k) = Π_{j<k} (n−m−j)/(n−j).
      const double m = double(group_size[g]);
      double miss = 1;
      for (int j = 0; j < k; ++j) miss *= std::max(0.0, (n - m - j) / double(n - j));
      chance += 1 - miss;
    }
    out.push_back({k0, hits / double(n), chance / double(n)});
  }
  return out;
}

}  // namespace cgdmer
