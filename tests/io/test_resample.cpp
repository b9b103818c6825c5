// Resampler: exact agreement with scipy.signal.resample_poly on real leads (golden), plus the
// anti-aliasing properties: a sine below both Nyquist rates keeps its amplitude within 1 %, a
// tone above the new Nyquist is attenuated by more than 40 dB.
#include <gtest/gtest.h>

#include <cmath>

#include "data/resample.h"
#include "io/ecg_readers.h"
#include "io_test_util.h"

namespace cgdmer {
namespace {

constexpr double kPi = 3.14159265358979323846;

TEST(Resample, RatioInLowestTerms) {
  auto r = resample_ratio(1000, 500);
  EXPECT_EQ(r.up, 1);
  EXPECT_EQ(r.down, 2);
  r = resample_ratio(500, 100);
  EXPECT_EQ(r.up, 1);
  EXPECT_EQ(r.down, 5);
  r = resample_ratio(257, 500);
  EXPECT_EQ(r.up, 500);
  EXPECT_EQ(r.down, 257);
  r = resample_ratio(360, 500);
  EXPECT_EQ(r.up, 25);
  EXPECT_EQ(r.down, 18);
  r = resample_ratio(128.5, 257);
  EXPECT_EQ(r.up, 2);
  EXPECT_EQ(r.down, 1);
}

TEST(Resample, MatchesScipyResamplePolyOnRealLeads) {
  // Tolerance: scipy filters the float32 input in float64; we accumulate in double too and
  // round the output to float32 (relative 6e-8), so 1e-6 absolute on ~mV values is ample,
  // while any design difference (taps, window, alignment) would show as ≥ 1e-3.
  for (const auto& g : cgdmer::testing::golden()["resample"]) {
    const EcgRecord rec = read_wfdb_record(cgdmer::testing::shared_data(g["path"]));
    const int lead = g["lead"];
    const std::int64_t n_in = g["n_in"];
    std::vector<float> x(rec.lead(lead), rec.lead(lead) + n_in);
    const std::vector<float> y = resample_poly(x, g["fs_in"].get<double>(), g["fs_out"].get<double>());
    ASSERT_EQ(std::int64_t(y.size()), g["n_out"].get<std::int64_t>()) << g["path"];
    for (std::size_t i = 0; i < g["idx"].size(); ++i) {
      const std::size_t k = g["idx"][i];
      EXPECT_NEAR(y[k], g["values"][i].get<double>(), 1e-6)
          << g["fs_in"] << "->" << g["fs_out"] << " idx " << k;
    }
  }
}

// Amplitude of `y` at frequency f (Hz, sampled at fs) by projection on sin/cos, ignoring
// `skip` samples at each end (the zero-padded edges ring).
double tone_amplitude(const std::vector<float>& y, double fs, double f, std::size_t skip) {
  double s = 0, c = 0;
  std::size_t n = 0;
  for (std::size_t i = skip; i + skip < y.size(); ++i, ++n) {
    s += y[i] * std::sin(2 * kPi * f * double(i) / fs);
    c += y[i] * std::cos(2 * kPi * f * double(i) / fs);
  }
  return 2 * std::sqrt(s * s + c * c) / double(n);
}

std::vector<float> sine(double fs, double f, double seconds) {
  std::vector<float> x(std::size_t(fs * seconds));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(std::sin(2 * kPi * f * double(i) / fs));
  return x;
}

struct Case {
  double fs_in, fs_out, pass_hz, stop_hz;
};

TEST(Resample, PassbandWithin1PercentStopbandBelowMinus40dB) {
  // pass_hz: 0.7 × the lower Nyquist; stop_hz: above the new Nyquist (and below the old one,
  // so the tone exists in the input). Integer number of periods in 4 s keeps the projection exact.
  for (const Case& c : {Case{1000, 500, 150, 350}, Case{500, 100, 35, 80}, Case{257, 500, 90, 0},
                        Case{500, 257, 90, 200}}) {
    SCOPED_TRACE(std::to_string(c.fs_in) + " -> " + std::to_string(c.fs_out));
    const std::size_t skip = std::size_t(c.fs_out);  // 1 s at each end
    const auto y = resample_poly(sine(c.fs_in, c.pass_hz, 4), c.fs_in, c.fs_out);
    EXPECT_EQ(y.size(), std::size_t(std::ceil(4 * c.fs_in * c.fs_out / c.fs_in)));
    EXPECT_NEAR(tone_amplitude(y, c.fs_out, c.pass_hz, skip), 1.0, 0.01);
    if (c.stop_hz > 0) {
      const auto z = resample_poly(sine(c.fs_in, c.stop_hz, 4), c.fs_in, c.fs_out);
      double peak = 0;
      for (std::size_t i = skip; i + skip < z.size(); ++i) peak = std::max(peak, double(std::fabs(z[i])));
      EXPECT_LT(20 * std::log10(peak + 1e-12), -40.0) << "peak " << peak;
    }
  }
}

TEST(Resample, SameRateIsIdentity) {
  const auto x = sine(500, 10, 1);
  EXPECT_EQ(resample_poly(x, 500, 500), x);
}

}  // namespace
}  // namespace cgdmer
