// Exact t-SNE (van der Maaten & Hinton 2008) following scikit-learn 1.2's TSNE(method="exact")
// step for step, for the encoder-feature pictures of paper Fig. 3 (N up to a few thousand;
// memory and time are O(N²) — Barnes–Hut is not implemented, `cgdmer tsne` subsamples).
// Defaults are sklearn 1.2's: perplexity 30, early exaggeration 12 for 250 iterations with
// momentum 0.5, then momentum 0.8 up to 1000 iterations, learning rate "auto" =
// max(N / 12 / 4, 50), delta-bar-delta gains (+0.2 / ×0.8, min 0.01), init "pca" scaled to
// std 1e-4 in the first component, progress checked every 50 iterations (stop after 300
// without improvement or gradient norm < 1e-7). Student-t with 1 degree of freedom.
// Differences from sklearn: double precision throughout (sklearn optimises in float32), PCA
// by exact eigen-decomposition instead of randomized SVD (same subspace; signs fixed by the
// same largest-|value|-positive rule), and random init uses std::mt19937_64, not numpy.
// Plain C++ (no LibTorch needed).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cgdmer {

struct TsneOptions {
  int dims = 2;
  double perplexity = 30.0;
  double early_exaggeration = 12.0;
  double learning_rate = 0.0;   // <= 0 → "auto"
  int n_iter = 1000;
  int exploration_iters = 250;
  int n_iter_without_progress = 300;
  double min_grad_norm = 1e-7;
  std::string init = "pca";     // "pca" | "random"
  std::uint64_t seed = 0;
};

struct TsneResult {
  std::vector<double> embedding;  // (N, dims) row-major
  double kl = 0;                  // KL(P || Q) of the final embedding
  int iterations = 0;
};

// X: (n, d) row-major features. Throws ConfigError for n < 4 or perplexity >= n - 1... (as
// sklearn: perplexity must be < n).
TsneResult tsne(const std::vector<double>& X, int n, int d, const TsneOptions& opt = {});

// Building blocks, exposed for tests.
// Symmetric joint probabilities P (n × n, zero diagonal, sums to 1, floored at DBL_EPSILON
// off the diagonal) from squared Euclidean distances with a per-point binary search of the
// Gaussian precision reaching the target perplexity (sklearn _binary_search_perplexity).
std::vector<double> tsne_joint_probabilities(const std::vector<double>& X, int n, int d,
                                             double perplexity);
// KL(P || Q) for embedding Y (n, dims) under the Student-t kernel (sklearn _kl_divergence).
double tsne_kl_divergence(const std::vector<double>& P, const std::vector<double>& Y, int n,
                          int dims);

}  // namespace cgdmer
