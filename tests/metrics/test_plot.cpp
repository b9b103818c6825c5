// Tests of src/plot: PNGs are written, start with the PNG signature, decode with cairo to the
// requested size, and carry drawn content (non-white pixels within a plausible range; the
// series colour actually appears). Visual check done by eye on the files in /tmp (see the
// eval engineer's report); these tests guard against blank or broken output.
#include <cairo.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "core/error.h"
#include "plot/chart.h"

using namespace cgdmer;

namespace {

std::string tmp_png(const std::string& name) {
  const char* keep = std::getenv("CGDMER_KEEP_PNG");  // set to a folder to look at them
  return std::string(keep ? keep : ::testing::TempDir()) + "/" + name;
}

struct PixelStats {
  int width = 0, height = 0;
  double non_white = 0;  // fraction
  long long colour_hits = 0;
};

// Counts non-white pixels and pixels close to `rgb` (0..255).
PixelStats inspect(const std::string& path, int r, int g, int b) {
  PixelStats s;
  cairo_surface_t* img = cairo_image_surface_create_from_png(path.c_str());
  EXPECT_EQ(cairo_surface_status(img), CAIRO_STATUS_SUCCESS) << path;
  s.width = cairo_image_surface_get_width(img);
  s.height = cairo_image_surface_get_height(img);
  const int stride = cairo_image_surface_get_stride(img);
  const unsigned char* d = cairo_image_surface_get_data(img);
  long long nw = 0;
  for (int y = 0; y < s.height; ++y)
    for (int x = 0; x < s.width; ++x) {
      const unsigned px = *reinterpret_cast<const unsigned*>(d + y * stride + 4 * x);
      const int R = (px >> 16) & 255, G = (px >> 8) & 255, B = px & 255;
      if (R < 250 || G < 250 || B < 250) ++nw;
      if (std::abs(R - r) < 12 && std::abs(G - g) < 12 && std::abs(B - b) < 12) ++s.colour_hits;
    }
  s.non_white = double(nw) / (double(s.width) * s.height);
  cairo_surface_destroy(img);
  return s;
}

bool has_png_signature(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char sig[8] = {};
  f.read(sig, 8);
  return f.good() && std::string(sig, 8) == std::string("\x89PNG\r\n\x1a\n", 8);
}

}  // namespace

TEST(Plot, LineChartWithLogAxisAndLegend) {
  Series a{"train loss", {}, {}}, b{"val loss", {}, {}};
  for (int i = 0; i < 200; ++i) {
    a.x.push_back(i);
    a.y.push_back(5.0 * std::exp(-i / 40.0) + 0.05);
    b.x.push_back(i);
    b.y.push_back(6.0 * std::exp(-i / 50.0) + 0.1);
  }
  ChartOptions o;
  o.title = "Pretraining loss";
  o.x_label = "step";
  o.y_label = "loss";
  o.log_y = true;
  const auto path = tmp_png("line_log.png");
  save_line_chart(path, {a, b}, o);
  ASSERT_TRUE(has_png_signature(path));
  const auto s = inspect(path, 31, 119, 180);  // palette[0]
  EXPECT_EQ(s.width, 900);
  EXPECT_EQ(s.height, 560);
  // Axes, grid, text and two curves: a few percent of the canvas, far from all of it.
  EXPECT_GT(s.non_white, 0.02);
  EXPECT_LT(s.non_white, 0.4);
  EXPECT_GT(s.colour_hits, 300);  // the first curve is drawn in its colour
}

TEST(Plot, RocModeHasDiagonalAndSquareArea) {
  Series roc{"HYP (AUC 0.83)", {0, 0.1, 0.3, 0.6, 1}, {0, 0.5, 0.8, 0.95, 1}};
  ChartOptions o;
  o.title = "ROC";
  o.x_label = "false positive rate";
  o.y_label = "true positive rate";
  o.equal_axes_01 = true;
  o.width = 600;
  o.height = 600;
  const auto path = tmp_png("roc.png");
  save_line_chart(path, {roc}, o);
  ASSERT_TRUE(has_png_signature(path));
  const auto s = inspect(path, 140, 140, 140);  // dashed chance diagonal grey
  EXPECT_GT(s.colour_hits, 150);
  EXPECT_GT(s.non_white, 0.02);
}

TEST(Plot, ScatterColoursGroups) {
  std::mt19937 rng(1);
  std::normal_distribution<double> n01;
  std::vector<Series> groups;
  for (int g = 0; g < 3; ++g) {
    Series s{std::string("class ") + char('A' + g), {}, {}};
    for (int i = 0; i < 100 + 50 * g; ++i) {
      s.x.push_back(5 * g + n01(rng));
      s.y.push_back(3 * (g % 2) + n01(rng));
    }
    groups.push_back(s);
  }
  ChartOptions o;
  o.title = "t-SNE";
  const auto path = tmp_png("scatter.png");
  save_scatter(path, groups, o);
  ASSERT_TRUE(has_png_signature(path));
  // palette[2] (green) blended at alpha .75 on white → about (96, 134, 96)? Overlaps darken;
  // count the pure legend/point colour loosely via the first palette entry instead.
  const auto s = inspect(path, 87, 151, 199);  // 0.75·(31,119,180) + 0.25·255
  EXPECT_GT(s.colour_hits, 200);
  EXPECT_GT(s.non_white, 0.03);
  EXPECT_LT(s.non_white, 0.5);
}

TEST(Plot, ErrorsNameTheFile) {
  ChartOptions o;
  EXPECT_THROW(save_line_chart("/nonexistent-dir/x.png", {Series{"a", {0, 1}, {0, 1}}}, o), IoError);
  EXPECT_THROW(save_line_chart(tmp_png("bad.png"), {Series{"a", {0, 1}, {0}}}, o), ConfigError);
}
