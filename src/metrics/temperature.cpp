// Temperature scaling by bisection on the NLL's derivative in 1/T (see temperature.h).
#include "metrics/temperature.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

#include "core/error.h"

namespace cgdmer {
namespace {

constexpr double kTMin = 1e-3, kTMax = 1e3;

double sigmoid1(double x) {
  if (x >= 0) return 1 / (1 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1 + e);
}
double softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

void check_binary(const std::vector<double>& z, const std::vector<std::uint8_t>& y) {
  if (z.size() != y.size() || z.empty())
    throw ConfigError("temperature: " + std::to_string(z.size()) + " logits but " +
                      std::to_string(y.size()) + " labels");
  for (double v : z)
    if (!std::isfinite(v)) throw ConfigError("temperature: non-finite logit");
}

void check_softmax(const std::vector<double>& z, const std::vector<int>& t, int k) {
  if (k < 2 || t.empty() || z.size() != t.size() * std::size_t(k))
    throw ConfigError("temperature: logits (" + std::to_string(z.size()) + ") are not (N=" +
                      std::to_string(t.size()) + ", K=" + std::to_string(k) + "), K >= 2");
  for (int v : t)
    if (v < 0 || v >= k) throw ConfigError("temperature: target " + std::to_string(v) + " not in [0, K)");
  for (double v : z)
    if (!std::isfinite(v)) throw ConfigError("temperature: non-finite logit");
}

// d NLL / d a at a = 1/T. Binary: mean (sigmoid(a z) − y) z.
double binary_grad(const std::vector<double>& z, const std::vector<std::uint8_t>& y, double a) {
  double g = 0;
  for (std::size_t i = 0; i < z.size(); ++i) g += (sigmoid1(a * z[i]) - double(y[i])) * z[i];
  return g / double(z.size());
}

// Multi-class: mean over rows of E_softmax(a z)[z] − z_target.
double softmax_grad(const std::vector<double>& z, const std::vector<int>& t, int k, double a) {
  double g = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const double* row = z.data() + i * std::size_t(k);
    const double mx = *std::max_element(row, row + k);
    double den = 0, num = 0;
    for (int j = 0; j < k; ++j) {
      const double e = std::exp(a * (row[j] - mx));
      den += e;
      num += e * row[j];
    }
    g += num / den - row[t[i]];
  }
  return g / double(t.size());
}

// Root of the increasing grad(a) by bisection on log a ∈ [log 1/T_max, log 1/T_min].
TemperatureFit bisect(const std::function<double(double)>& grad,
                      const std::function<double(double)>& nll) {
  TemperatureFit f;
  double lo = std::log(1 / kTMax), hi = std::log(1 / kTMin);
  f.evaluations = 2;
  if (grad(std::exp(lo)) >= 0) {         // NLL increasing already at T_max: wants T ≥ T_max
    f.temperature = kTMax;
    f.at_bound = true;
  } else if (grad(std::exp(hi)) <= 0) {  // still decreasing at T_min: wants T ≤ T_min
    f.temperature = kTMin;
    f.at_bound = true;
  } else {
    // log T known to 1e-15 (absolute), i.e. T to ~1e-15 relative: ~54 halvings of 13.8.
    while (hi - lo > 1e-15) {
      const double mid = 0.5 * (lo + hi);
      ++f.evaluations;
      (grad(std::exp(mid)) < 0 ? lo : hi) = mid;
    }
    f.temperature = 1 / std::exp(0.5 * (lo + hi));
  }
  f.nll_at_1 = nll(1);
  f.nll = nll(f.temperature);
  return f;
}

}  // namespace

double binary_nll(const std::vector<double>& logits, const std::vector<std::uint8_t>& labels,
                  double temperature) {
  check_binary(logits, labels);
  if (!(temperature > 0)) throw ConfigError("temperature: T must be > 0");
  double s = 0;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const double x = logits[i] / temperature;
    s += softplus(x) - double(labels[i]) * x;  // −[y log σ(x) + (1−y) log(1−σ(x))]
  }
  return s / double(logits.size());
}

TemperatureFit fit_temperature_binary(const std::vector<double>& logits,
                                      const std::vector<std::uint8_t>& labels) {
  check_binary(logits, labels);
  return bisect([&](double a) { return binary_grad(logits, labels, a); },
                [&](double t) { return binary_nll(logits, labels, t); });
}

double softmax_nll(const std::vector<double>& logits, const std::vector<int>& targets,
                   int n_classes, double temperature) {
  check_softmax(logits, targets, n_classes);
  if (!(temperature > 0)) throw ConfigError("temperature: T must be > 0");
  double s = 0;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const double* row = logits.data() + i * std::size_t(n_classes);
    const double mx = *std::max_element(row, row + n_classes) / temperature;
    double den = 0;
    for (int j = 0; j < n_classes; ++j) den += std::exp(row[j] / temperature - mx);
    s += mx + std::log(den) - row[targets[i]] / temperature;  // logsumexp − z_target
  }
  return s / double(targets.size());
}

TemperatureFit fit_temperature_softmax(const std::vector<double>& logits,
                                       const std::vector<int>& targets, int n_classes) {
  check_softmax(logits, targets, n_classes);
  return bisect([&](double a) { return softmax_grad(logits, targets, n_classes, a); },
                [&](double t) { return softmax_nll(logits, targets, n_classes, t); });
}

std::vector<double> sigmoid(const std::vector<double>& logits, double temperature) {
  if (!(temperature > 0)) throw ConfigError("sigmoid: temperature must be > 0");
  std::vector<double> p(logits.size());
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = sigmoid1(logits[i] / temperature);
  return p;
}

}  // namespace cgdmer
