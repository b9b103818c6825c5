// Tests of src/plot/ecg_plot: the clinical ECG page. The PNG is decoded with cairo and
// measured: one large (5 mm) grid box is found by scanning for the bold grid colour and must
// be 5·dpi/25.4 px ± 1; small and bold grid colours are present; every recorded panel holds
// dark trace pixels and a "not recorded" panel holds none; PDF output starts with "%PDF".
#include <cairo.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "plot/ecg_plot.h"

using namespace cgdmer;

namespace {

std::string tmp_file(const std::string& name) {
  const char* keep = std::getenv("CGDMER_KEEP_PNG");  // set to a folder to look at them
  return std::string(keep ? keep : ::testing::TempDir()) + "/" + name;
}

struct Image {
  int w = 0, h = 0, stride = 0;
  std::vector<unsigned char> px;  // cairo RGB24: B, G, R, x per pixel (little-endian)
  int r(int x, int y) const { return px[std::size_t(y) * stride + x * 4 + 2]; }
  int g(int x, int y) const { return px[std::size_t(y) * stride + x * 4 + 1]; }
  int b(int x, int y) const { return px[std::size_t(y) * stride + x * 4 + 0]; }
  bool near(int x, int y, int R, int G, int B, int tol = 6) const {
    return std::abs(r(x, y) - R) <= tol && std::abs(g(x, y) - G) <= tol && std::abs(b(x, y) - B) <= tol;
  }
  bool dark(int x, int y) const { return r(x, y) < 90 && g(x, y) < 90 && b(x, y) < 90; }
};

Image load_png(const std::string& path) {
  cairo_surface_t* s = cairo_image_surface_create_from_png(path.c_str());
  EXPECT_EQ(cairo_surface_status(s), CAIRO_STATUS_SUCCESS) << path;
  Image im;
  im.w = cairo_image_surface_get_width(s);
  im.h = cairo_image_surface_get_height(s);
  im.stride = cairo_image_surface_get_stride(s);
  const unsigned char* d = cairo_image_surface_get_data(s);
  im.px.assign(d, d + std::size_t(im.stride) * im.h);
  cairo_surface_destroy(s);
  return im;
}

// The bold grid colour kBoldGrid (0.89, 0.40, 0.40) and small grid (0.98, 0.78, 0.78) in 0..255.
constexpr int kBold[3] = {227, 102, 102}, kSmall[3] = {250, 199, 199};

// A synthetic 12-lead ECG: a QRS-like spike once a second on every lead, amplitude by lead.
EcgPlotData synthetic(double fs, bool drop_v_leads) {
  EcgPlotData d;
  d.fs = fs;
  d.title = "synthetic";
  const char* names[12] = {"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"};
  for (int l = 0; l < 12; ++l) {
    if (drop_v_leads && l >= 6) continue;
    EcgPlotLead lead;
    lead.name = names[l];
    const int n = int(10 * fs);
    for (int i = 0; i < n; ++i) {
      const double t = i / fs, ph = t - std::floor(t);
      lead.values.push_back(float((0.5 + 0.1 * l) * std::exp(-std::pow((ph - 0.4) / 0.015, 2)) +
                                  0.1 * std::sin(2 * M_PI * t)));
    }
    d.leads.push_back(std::move(lead));
  }
  return d;
}

// Centres (in px) of the runs of bold-grid pixels along a horizontal scan line.
std::vector<double> bold_runs_x(const Image& im, int y, int x0, int x1) {
  std::vector<double> c;
  for (int x = x0; x < x1;) {
    if (!im.near(x, y, kBold[0], kBold[1], kBold[2], 20)) {
      ++x;
      continue;
    }
    int e = x;
    while (e < x1 && im.near(e, y, kBold[0], kBold[1], kBold[2], 20)) ++e;
    c.push_back(0.5 * (x + e - 1));
    x = e;
  }
  return c;
}
std::vector<double> bold_runs_y(const Image& im, int x, int y0, int y1) {
  std::vector<double> c;
  for (int y = y0; y < y1;) {
    if (!im.near(x, y, kBold[0], kBold[1], kBold[2], 20)) {
      ++y;
      continue;
    }
    int e = y;
    while (e < y1 && im.near(x, e, kBold[0], kBold[1], kBold[2], 20)) ++e;
    c.push_back(0.5 * (y + e - 1));
    y = e;
  }
  return c;
}

}  // namespace

TEST(EcgPlot, LargeBoxMeasuresFiveMillimetresAtTheDpi) {
  for (double dpi : {150.0, 96.0, 300.0}) {
    EcgPlotOptions o;
    o.dpi = dpi;
    const std::string path = tmp_file("ecg_grid_" + std::to_string(int(dpi)) + ".png");
    save_ecg_plot(path, synthetic(500, false), o);
    const Image im = load_png(path);
    const auto L = ecg_plot_layout(o);
    const double s = dpi / 25.4;
    EXPECT_NEAR(im.w, L.page_w * s, 1.0);
    EXPECT_NEAR(im.h, L.page_h * s, 1.0);
    // Scan inside the grid, on a row between two bold lines (1.5 mm below the grid top —
    // the header text lies above the grid, traces are thin and sparse there).
    const int y = int(std::lround((L.grid_y0 + 1.5) * s));
    const auto xs = bold_runs_x(im, y, int(L.grid_x0 * s) - 2, int((L.grid_x0 + L.grid_w) * s) + 3);
    ASSERT_GE(xs.size(), 10u) << "dpi " << dpi;
    const double box = 5 * s;  // 5 mm in px
    int good = 0;
    for (std::size_t i = 1; i < xs.size(); ++i) good += std::abs((xs[i] - xs[i - 1]) - box) <= 1.0;
    // Every spacing is one large box (a trace may cross a line: allow a few exceptions).
    EXPECT_GE(good, int(xs.size()) - 4) << "dpi " << dpi;
    // The first large box, measured: x between the first two bold lines.
    EXPECT_NEAR(xs[1] - xs[0], box, 1.0) << "dpi " << dpi << " box " << xs[1] - xs[0] << " px";
    // And the grid spans the whole width: 52 boxes → 53 lines at 150 dpi.
    EXPECT_NEAR(xs.back() - xs.front(), L.grid_w * s, 2.0);
    const auto ys = bold_runs_y(im, int(std::lround((L.grid_x0 + 1.5) * s)), int(L.grid_y0 * s) - 2,
                                int((L.grid_y0 + L.grid_h) * s) + 3);
    ASSERT_GE(ys.size(), 10u);
    EXPECT_NEAR(ys[1] - ys[0], box, 1.0) << "vertical box " << ys[1] - ys[0] << " px";
    if (dpi == 150.0)
      std::printf("[ measure  ] dpi 150: large box %.1f px wide, %.1f px high (5 mm = %.2f px)\n",
                  xs[1] - xs[0], ys[1] - ys[0], box);
  }
}

TEST(EcgPlot, RedGridColoursAndTracesInEveryRecordedPanel) {
  EcgPlotOptions o;
  const std::string path = tmp_file("ecg_6lead.png");
  save_ecg_plot(path, synthetic(100, /*drop_v_leads=*/true), o);
  const Image im = load_png(path);
  const auto L = ecg_plot_layout(o);
  const double s = o.dpi / 25.4;
  long small = 0, bold = 0;
  for (int y = 0; y < im.h; ++y)
    for (int x = 0; x < im.w; ++x) {
      small += im.near(x, y, kSmall[0], kSmall[1], kSmall[2]);
      bold += im.near(x, y, kBold[0], kBold[1], kBold[2]);
    }
  EXPECT_GT(small, 20000);
  EXPECT_GT(bold, 10000);
  auto dark_in = [&](const EcgPlotLayout::Rect& r) {
    long n = 0;
    // Leave out the 6 mm label corner and lead-change marker at the panel's left edge.
    for (int y = int((r.y + 6) * s); y < int((r.y + r.h) * s); ++y)
      for (int x = int((r.x + 2) * s); x < int((r.x + r.w) * s) - 1; ++x) n += im.dark(x, y);
    return n;
  };
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) {
      const long n = dark_in(L.panel(r, c));
      if (c < 2) EXPECT_GT(n, 100) << kEcgLayout[r][c] << " has no trace";
      else EXPECT_LT(n, 100) << kEcgLayout[r][c] << " was not recorded but has " << n << " dark px";
    }
  EXPECT_GT(dark_in(L.rhythm()), 400);
}

TEST(EcgPlot, OverlayAndShadingColoursAppear) {
  EcgPlotData d = synthetic(500, false);
  for (auto& l : d.leads) {
    l.overlay.assign(l.values.size(), NAN);
    for (std::size_t i = 0; i < l.values.size() / 2; ++i) l.overlay[i] = l.values[i] + 0.3f;
    l.shade.assign(40, 0.f);
    l.shade[3] = 1.f;
  }
  d.shade_seconds = 0.25;
  d.shade_style = EcgShadeStyle::kHeat;
  const std::string path = tmp_file("ecg_overlay.png");
  save_ecg_plot(path, d, {});
  const Image im = load_png(path);
  long blue = 0, green = 0;
  for (int y = 0; y < im.h; ++y)
    for (int x = 0; x < im.w; ++x) {
      blue += im.b(x, y) > 180 && im.r(x, y) < 90;
      green += im.g(x, y) > 150 && im.r(x, y) < 150 && im.b(x, y) < 150;
    }
  EXPECT_GT(blue, 500);
  EXPECT_GT(green, 2000);
}

TEST(EcgPlot, PdfByExtension) {
  const std::string path = tmp_file("ecg.pdf");
  save_ecg_plot(path, synthetic(500, false), {});
  std::ifstream f(path, std::ios::binary);
  std::string head(5, '\0');
  f.read(&head[0], 5);
  EXPECT_EQ(head, "%PDF-");
  f.seekg(0, std::ios::end);
  EXPECT_GT(f.tellg(), 5000);
}

TEST(EcgPlot, RejectsBadInput) {
  EcgPlotOptions o;
  o.dpi = 0;
  EXPECT_THROW(save_ecg_plot(tmp_file("x.png"), synthetic(500, false), o), ConfigError);
  EcgPlotData d = synthetic(500, false);
  d.leads[0].overlay.assign(3, 0.f);
  EXPECT_THROW(save_ecg_plot(tmp_file("x.png"), d, {}), ConfigError);
  EXPECT_THROW(save_ecg_plot(tmp_file("x.svg"), synthetic(500, false), {}), ConfigError);
  EXPECT_THROW(save_ecg_plot("/nonexistent-dir/x.png", synthetic(500, false), {}), IoError);
}
