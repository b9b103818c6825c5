// Polyphase rational resampler. Filter (same design as scipy.signal.firwin + resample_poly):
//   h[m] = c · sinc(c · (m − half_len)) · kaiser(m; β = 5),  m = 0 … 2·half_len,
//   c = 1 / max(up, down) (cutoff as a fraction of the upsampled Nyquist),
//   half_len = 10 · max(up, down), then scaled to Σh = up (unit DC gain after upsampling).
// With β = 5 the stopband is ≈ −54 dB and the passband ripple ≈ 0.2 %; the transition band is
// centred on the new Nyquist, about 0.16 · min(fs_in, fs_out) wide. Only the taps that meet a
// non-zero input sample are evaluated (the polyphase decomposition), so the cost per output
// sample is ≈ 2·half_len / up multiply-adds.
#include "data/resample.h"

#include <cmath>
#include <numeric>

#include "core/error.h"

namespace cgdmer {

namespace {

// Modified Bessel function of the first kind, order 0 (power series; converges fast for β ≤ 20).
double bessel_i0(double x) {
  double sum = 1, term = 1;
  const double q = x * x / 4;
  for (int k = 1; k < 200; ++k) {
    term *= q / (double(k) * double(k));
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return sum;
}

constexpr double kPi = 3.14159265358979323846;
constexpr double kKaiserBeta = 5.0;
constexpr int kHalfLenFactor = 10;

}  // namespace

ResampleRatio resample_ratio(double fs_in, double fs_out) {
  if (!(fs_in > 0) || !(fs_out > 0))
    throw ConfigError("resampling needs positive rates, got " + std::to_string(fs_in) + " -> " +
                      std::to_string(fs_out) + " Hz");
  // Integer rates (the usual case) are exact; otherwise scale both to a common denominator.
  std::int64_t scale = 1;
  while (scale < 10000 && (std::abs(fs_in * scale - std::round(fs_in * scale)) > 1e-9 ||
                           std::abs(fs_out * scale - std::round(fs_out * scale)) > 1e-9))
    scale *= 10;
  std::int64_t a = std::llround(fs_out * scale), b = std::llround(fs_in * scale);
  const std::int64_t g = std::gcd(a, b);
  return {a / g, b / g};
}

std::vector<double> resample_filter(const ResampleRatio& r) {
  const std::int64_t max_rate = std::max(r.up, r.down);
  const std::int64_t half_len = kHalfLenFactor * max_rate;
  const std::int64_t n = 2 * half_len + 1;
  const double cutoff = 1.0 / double(max_rate);
  std::vector<double> h(static_cast<std::size_t>(n));
  const double i0_beta = bessel_i0(kKaiserBeta);
  double sum = 0;
  for (std::int64_t m = 0; m < n; ++m) {
    const double t = double(m - half_len);
    const double x = cutoff * t;
    const double sinc = x == 0 ? 1.0 : std::sin(kPi * x) / (kPi * x);
    const double ratio = 2.0 * double(m) / double(n - 1) - 1.0;
    const double w = bessel_i0(kKaiserBeta * std::sqrt(std::max(0.0, 1.0 - ratio * ratio))) / i0_beta;
    h[std::size_t(m)] = cutoff * sinc * w;
    sum += h[std::size_t(m)];
  }
  for (auto& v : h) v *= double(r.up) / sum;
  return h;
}

std::vector<float> resample_poly(const float* x, std::int64_t n_in, const ResampleRatio& r,
                                 const std::vector<double>& h) {
  const std::int64_t L = r.up, M = r.down;
  const std::int64_t half_len = (std::int64_t(h.size()) - 1) / 2;
  const std::int64_t n_out = (n_in * L + M - 1) / M;
  std::vector<float> y(std::size_t(std::max<std::int64_t>(n_out, 0)));
  for (std::int64_t n = 0; n < n_out; ++n) {
    const std::int64_t t = n * M;  // position on the upsampled grid
    // Input samples k with |t − k·L| ≤ half_len.
    std::int64_t k_lo = t - half_len <= 0 ? 0 : (t - half_len + L - 1) / L;
    std::int64_t k_hi = std::min(n_in - 1, (t + half_len) / L);
    double acc = 0;
    for (std::int64_t k = k_lo; k <= k_hi; ++k)
      acc += double(x[k]) * h[std::size_t(t - k * L + half_len)];
    y[std::size_t(n)] = float(acc);
  }
  return y;
}

std::vector<float> resample_poly(const std::vector<float>& x, double fs_in, double fs_out) {
  const ResampleRatio r = resample_ratio(fs_in, fs_out);
  if (r.up == r.down) return x;
  return resample_poly(x.data(), std::int64_t(x.size()), r, resample_filter(r));
}

}  // namespace cgdmer
