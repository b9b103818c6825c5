// Anti-aliased rational resampling (polyphase windowed-sinc FIR), numerically the same as
// scipy.signal.resample_poly(x, up, down) with its defaults (Kaiser β = 5, half-length
// 10·max(up, down) taps at the upsampled rate, zero padding at both ends).
#pragma once

#include <cstdint>
#include <vector>

namespace cgdmer {

struct ResampleRatio {
  std::int64_t up = 1, down = 1;  // fs_out / fs_in = up / down, in lowest terms
};

// Rational approximation of fs_out / fs_in (exact for integer rates such as 1000→500,
// 500→100, 257→500; otherwise denominator ≤ 10000). Throws ConfigError for non-positive rates.
ResampleRatio resample_ratio(double fs_in, double fs_out);

// The low-pass prototype: 2·10·max(up,down)+1 taps, cutoff at the lower of the two Nyquist
// rates (1/max(up,down) of the upsampled Nyquist), Kaiser window β = 5, unit DC gain × up.
std::vector<double> resample_filter(const ResampleRatio& r);

// Resamples one signal of n_in samples: returns ceil(n_in · up / down) samples,
// y[n] = Σ_k x[k] · h[n·down − k·up + half_len]  (x = 0 outside [0, n_in)).
std::vector<float> resample_poly(const float* x, std::int64_t n_in, const ResampleRatio& r,
                                 const std::vector<double>& filter);
std::vector<float> resample_poly(const std::vector<float>& x, double fs_in, double fs_out);

}  // namespace cgdmer
