// Trustworthiness (see trustworthiness.h), written after sklearn 1.2's implementation.
#include "metrics/trustworthiness.h"

#include <algorithm>
#include <numeric>
#include <string>

#include "core/error.h"

namespace cgdmer {
namespace {

std::vector<double> sq_dists(const std::vector<double>& A, int d, int n) {
  std::vector<double> D(std::size_t(n) * n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      double s = 0;
      for (int k = 0; k < d; ++k) {
        const double t = A[std::size_t(i) * d + k] - A[std::size_t(j) * d + k];
        s += t * t;
      }
      D[std::size_t(i) * n + j] = s;
    }
  return D;
}

}  // namespace

double trustworthiness(const std::vector<double>& X, int dx, const std::vector<double>& Y, int dy,
                       int k) {
  if (dx <= 0 || dy <= 0 || X.size() % dx || Y.size() % dy || X.size() / dx != Y.size() / dy)
    throw ConfigError("trustworthiness: X and Y must have the same number of rows");
  const int n = int(X.size() / dx);
  if (k <= 0 || k >= n / 2.0)
    throw ConfigError("trustworthiness: n_neighbors must be < n_samples / 2 (got " +
                      std::to_string(k) + " for " + std::to_string(n) + ")");
  const auto DX = sq_dists(X, dx, n), DY = sq_dists(Y, dy, n);
  double t = 0;
  std::vector<int> order(n), rank(n);
  for (int i = 0; i < n; ++i) {
    // Input-space ranks: self gets rank 0, neighbours 1..n-1 (stable argsort like sklearn,
    // which sets the diagonal to +inf then argsorts; with the self first it is the same).
    std::iota(order.begin(), order.end(), 0);
    const double* dxi = &DX[std::size_t(i) * n];
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
      if (a == i) return b != i;
      if (b == i) return false;
      return dxi[a] < dxi[b];
    });
    for (int r = 0; r < n; ++r) rank[order[r]] = r;
    // Embedding-space k nearest (excluding self).
    const double* dyi = &DY[std::size_t(i) * n];
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
      if (a == i) return b != i;
      if (b == i) return false;
      return dyi[a] < dyi[b];
    });
    for (int m = 1; m <= k; ++m) t += std::max(0, rank[order[m]] - k);
  }
  return 1.0 - t * (2.0 / (double(n) * k * (2.0 * n - 3.0 * k - 1.0)));
}

}  // namespace cgdmer
