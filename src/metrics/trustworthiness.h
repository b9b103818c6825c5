// Trustworthiness of an embedding (Venna & Kaski; sklearn.manifold.trustworthiness):
// T(k) = 1 − 2/(n k (2n − 3k − 1)) · Σ_i Σ_{j ∈ U_i^k} (r(i, j) − k), where U_i^k are the k
// nearest neighbours of i in the embedding that are not among its k nearest in the input
// space, and r(i, j) is j's rank by input-space distance from i. 1 = neighbourhoods kept.
// Euclidean distances, exact O(n² log n). Torch-free.
#pragma once

#include <vector>

namespace cgdmer {

// X: (n, dx) row-major, Y: (n, dy) row-major. Requires k < n/2 (as sklearn).
double trustworthiness(const std::vector<double>& X, int dx, const std::vector<double>& Y, int dy,
                       int k = 5);

}  // namespace cgdmer
