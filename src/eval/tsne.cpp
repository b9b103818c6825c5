// Exact t-SNE after scikit-learn 1.2 (see tsne.h for defaults and differences).
#include "eval/tsne.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <random>

#include "core/error.h"

namespace cgdmer {
namespace {

constexpr double kMachineEps = DBL_EPSILON;  // sklearn MACHINE_EPSILON (float64 eps)

std::vector<double> squared_distances(const std::vector<double>& X, int n, int d) {
  std::vector<double> D(std::size_t(n) * n, 0.0);
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) {
      double s = 0;
      const double* a = &X[std::size_t(i) * d];
      const double* b = &X[std::size_t(j) * d];
      for (int k = 0; k < d; ++k) s += (a[k] - b[k]) * (a[k] - b[k]);
      D[std::size_t(i) * n + j] = D[std::size_t(j) * n + i] = s;
    }
  return D;
}

// Top `k` principal-component scores of X (n, d): eigenvectors of the covariance by power
// iteration with deflation (k is 2 or 3; d up to ~1000), signs as sklearn's svd_flip.
std::vector<double> pca_scores(const std::vector<double>& X, int n, int d, int k) {
  std::vector<double> mean(d, 0.0), C(std::size_t(d) * d, 0.0), Z(X);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) mean[j] += X[std::size_t(i) * d + j] / n;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) Z[std::size_t(i) * d + j] -= mean[j];
  for (int i = 0; i < n; ++i) {
    const double* z = &Z[std::size_t(i) * d];
    for (int a = 0; a < d; ++a)
      for (int b = a; b < d; ++b) C[std::size_t(a) * d + b] += z[a] * z[b];
  }
  for (int a = 0; a < d; ++a)
    for (int b = 0; b < a; ++b) C[std::size_t(a) * d + b] = C[std::size_t(b) * d + a];
  std::vector<double> out(std::size_t(n) * k, 0.0);
  std::mt19937_64 rng(12345);
  std::normal_distribution<double> g;
  for (int c = 0; c < k; ++c) {
    std::vector<double> v(d), w(d);
    for (auto& x : v) x = g(rng);
    double lambda = 0;
    for (int it = 0; it < 1000; ++it) {
      for (int a = 0; a < d; ++a) {
        double s = 0;
        for (int b = 0; b < d; ++b) s += C[std::size_t(a) * d + b] * v[b];
        w[a] = s;
      }
      double norm = 0;
      for (double x : w) norm += x * x;
      norm = std::sqrt(norm);
      if (norm == 0) break;
      double change = 0;
      for (int a = 0; a < d; ++a) {
        const double nv = w[a] / norm;
        change += std::abs(nv - v[a]);
        v[a] = nv;
      }
      lambda = norm;
      if (change < 1e-12 * d) break;
    }
    for (int a = 0; a < d; ++a)  // deflate
      for (int b = 0; b < d; ++b) C[std::size_t(a) * d + b] -= lambda * v[a] * v[b];
    double best = 0;
    for (int i = 0; i < n; ++i) {
      double s = 0;
      for (int a = 0; a < d; ++a) s += Z[std::size_t(i) * d + a] * v[a];
      out[std::size_t(i) * k + c] = s;
      if (std::abs(s) > std::abs(best)) best = s;
    }
    if (best < 0)
      for (int i = 0; i < n; ++i) out[std::size_t(i) * k + c] = -out[std::size_t(i) * k + c];
  }
  return out;
}

// Error and gradient of KL(P || Q) (sklearn _kl_divergence with degrees_of_freedom = 1).
double kl_and_gradient(const std::vector<double>& P, const std::vector<double>& Y, int n, int dims,
                       std::vector<double>* grad, bool want_error = true) {
  std::vector<double> W(std::size_t(n) * n, 0.0);  // (1 + |yi - yj|²)^-1
  double sumW = 0;
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) {
      double s = 0;
      for (int k = 0; k < dims; ++k) {
        const double t = Y[std::size_t(i) * dims + k] - Y[std::size_t(j) * dims + k];
        s += t * t;
      }
      const double w = 1.0 / (1.0 + s);
      W[std::size_t(i) * n + j] = W[std::size_t(j) * n + i] = w;
      sumW += 2 * w;
    }
  double kl = 0;
  if (grad) grad->assign(std::size_t(n) * dims, 0.0);
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) {
      const double w = W[std::size_t(i) * n + j];
      const double q = std::max(w / sumW, kMachineEps);
      const double p = P[std::size_t(i) * n + j];
      if (want_error) kl += 2 * p * std::log(std::max(p, kMachineEps) / q);
      if (grad) {
        const double coef = 4.0 * (p - q) * w;  // 2(dof+1)/dof = 4
        for (int k = 0; k < dims; ++k) {
          const double t = Y[std::size_t(i) * dims + k] - Y[std::size_t(j) * dims + k];
          (*grad)[std::size_t(i) * dims + k] += coef * t;
          (*grad)[std::size_t(j) * dims + k] -= coef * t;
        }
      }
    }
  return kl;
}

struct Descent {
  int start, stop, n_iter_without_progress;
  double momentum, learning_rate, min_grad_norm;
};

// sklearn _gradient_descent: momentum + delta-bar-delta gains; checks every 50 iterations.
// Returns the iteration reached.
int gradient_descent(const std::vector<double>& P, std::vector<double>& Y, int n, int dims,
                     const Descent& s, double& kl) {
  // Fresh momentum buffer and gains per call, as sklearn (so the phase switch resets them).
  std::vector<double> update(Y.size(), 0.0), gains(Y.size(), 1.0);
  constexpr int kCheck = 50;
  double best_error = std::numeric_limits<double>::max();
  int best_iter = s.start, i = s.start;
  std::vector<double> grad;
  for (i = s.start; i < s.stop; ++i) {
    const bool check = (i + 1) % kCheck == 0;
    const double error = kl_and_gradient(P, Y, n, dims, &grad, check || i == s.stop - 1);
    double gnorm = 0;
    for (std::size_t k = 0; k < grad.size(); ++k) {
      const bool inc = update[k] * grad[k] < 0;
      gains[k] = std::max(inc ? gains[k] + 0.2 : gains[k] * 0.8, 0.01);
      grad[k] *= gains[k];
      update[k] = s.momentum * update[k] - s.learning_rate * grad[k];
      Y[k] += update[k];
    }
    kl = error;
    if (check) {
      for (double g : grad) gnorm += g * g;  // of the gain-scaled gradient, as sklearn
      gnorm = std::sqrt(gnorm);
      if (error < best_error) {
        best_error = error;
        best_iter = i;
      } else if (i - best_iter > s.n_iter_without_progress) {
        break;
      }
      if (gnorm <= s.min_grad_norm) break;
    }
  }
  return std::min(i, s.stop - 1);  // index of the last iteration run (sklearn's `it`)
}

}  // namespace

std::vector<double> tsne_joint_probabilities(const std::vector<double>& X, int n, int d,
                                             double perplexity) {
  const auto D = squared_distances(X, n, d);
  std::vector<double> P(std::size_t(n) * n, 0.0);
  const double desired = std::log(perplexity);
  for (int i = 0; i < n; ++i) {
    double beta = 1, beta_min = -std::numeric_limits<double>::infinity();
    double beta_max = std::numeric_limits<double>::infinity();
    double* row = &P[std::size_t(i) * n];
    const double* di = &D[std::size_t(i) * n];
    for (int step = 0; step < 100; ++step) {
      double sum = 0;
      for (int j = 0; j < n; ++j) {
        row[j] = j == i ? 0.0 : std::exp(-di[j] * beta);
        sum += row[j];
      }
      if (sum == 0) sum = 1e-8;  // sklearn EPSILON_DBL
      double sum_dp = 0;
      for (int j = 0; j < n; ++j) {
        row[j] /= sum;
        sum_dp += di[j] * row[j];
      }
      const double diff = std::log(sum) + beta * sum_dp - desired;
      if (std::abs(diff) <= 1e-5) break;
      if (diff > 0) {
        beta_min = beta;
        beta = std::isinf(beta_max) ? beta * 2 : (beta + beta_max) / 2;
      } else {
        beta_max = beta;
        beta = std::isinf(beta_min) ? beta / 2 : (beta + beta_min) / 2;
      }
    }
  }
  double total = 0;
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) {
      const double s = P[std::size_t(i) * n + j] + P[std::size_t(j) * n + i];
      P[std::size_t(i) * n + j] = P[std::size_t(j) * n + i] = s;
      total += 2 * s;
    }
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      P[std::size_t(i) * n + j] = i == j ? 0.0 : std::max(P[std::size_t(i) * n + j] / total, kMachineEps);
  return P;
}

double tsne_kl_divergence(const std::vector<double>& P, const std::vector<double>& Y, int n,
                          int dims) {
  return kl_and_gradient(P, Y, n, dims, nullptr);
}

TsneResult tsne(const std::vector<double>& X, int n, int d, const TsneOptions& opt) {
  if (n < 4 || d <= 0 || X.size() != std::size_t(n) * d)
    throw ConfigError("tsne: need (n >= 4, d >= 1) features; got " + std::to_string(n) + " × " +
                      std::to_string(d));
  if (!(opt.perplexity > 0) || opt.perplexity >= n)
    throw ConfigError("tsne: perplexity (" + std::to_string(opt.perplexity) +
                      ") must be positive and less than the number of points (" +
                      std::to_string(n) + ")");
  if (opt.dims < 1 || opt.n_iter < opt.exploration_iters)
    throw ConfigError("tsne: dims >= 1 and n_iter >= exploration_iters required");
  for (double v : X)
    if (!std::isfinite(v)) throw ConfigError("tsne: non-finite feature value");
  const int k = opt.dims;
  auto P = tsne_joint_probabilities(X, n, d, opt.perplexity);

  TsneResult r;
  if (opt.init == "pca") {
    r.embedding = pca_scores(X, n, d, k);
    double mean = 0, var = 0;  // np.std of the first component (population)
    for (int i = 0; i < n; ++i) mean += r.embedding[std::size_t(i) * k] / n;
    for (int i = 0; i < n; ++i) var += std::pow(r.embedding[std::size_t(i) * k] - mean, 2) / n;
    const double scale = var > 0 ? 1e-4 / std::sqrt(var) : 1.0;
    for (auto& v : r.embedding) v *= scale;
  } else if (opt.init == "random") {
    std::mt19937_64 rng(opt.seed);
    std::normal_distribution<double> g(0.0, 1e-4);
    r.embedding.resize(std::size_t(n) * k);
    for (auto& v : r.embedding) v = g(rng);
  } else {
    throw ConfigError("tsne: init must be 'pca' or 'random', not '" + opt.init + "'");
  }

  const double lr = opt.learning_rate > 0 ? opt.learning_rate
                                          : std::max(n / opt.early_exaggeration / 4.0, 50.0);
  for (auto& p : P) p *= opt.early_exaggeration;
  double kl = 0;
  int it = gradient_descent(P, r.embedding, n, k,
                            {0, opt.exploration_iters, opt.exploration_iters, 0.5, lr,
                             opt.min_grad_norm},
                            kl);
  for (auto& p : P) p /= opt.early_exaggeration;
  if (opt.n_iter > opt.exploration_iters)
    it = gradient_descent(P, r.embedding, n, k,
                          {it + 1, opt.n_iter, opt.n_iter_without_progress, 0.8, lr,
                           opt.min_grad_norm},
                          kl);
  r.iterations = it + 1;
  r.kl = tsne_kl_divergence(P, r.embedding, n, k);
  return r;
}

}  // namespace cgdmer
