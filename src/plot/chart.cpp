// Line charts and scatter plots drawn with cairo into PNG files (see chart.h).
// Layout: title on top, plot area with a frame, "nice" ticks (1/2/5 × 10^k, or decades on a
// log axis) and light grid, axis labels, legend in the upper-right (lower-right for ROC).
#include "plot/chart.h"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "core/error.h"

namespace cgdmer {
namespace {

struct Rgb {
  double r, g, b;
};

// Tableau-10 palette (distinct, colour-blind friendly); cycled beyond 10 groups with a
// darker variant.
Rgb palette(std::size_t i) {
  static const Rgb c[10] = {{0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.173, 0.627, 0.173},
                            {0.839, 0.153, 0.157}, {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294},
                            {0.890, 0.467, 0.761}, {0.498, 0.498, 0.498}, {0.737, 0.741, 0.133},
                            {0.090, 0.745, 0.812}};
  Rgb x = c[i % 10];
  const double f = std::pow(0.65, double(i / 10));
  return {x.r * f, x.g * f, x.b * f};
}

struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  double map(double v) const {  // → [0, 1]
    if (log) return (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
    return (v - lo) / (hi - lo);
  }
};

double nice_step(double range, int target) {
  const double raw = range / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

// Expands [lo, hi] to nice tick boundaries and returns the ticks.
std::vector<double> nice_ticks(Axis& a, int target, bool fixed) {
  std::vector<double> t;
  if (a.log) {
    if (!fixed) {
      a.lo = std::pow(10.0, std::floor(std::log10(a.lo)));
      a.hi = std::pow(10.0, std::ceil(std::log10(a.hi)));
      if (a.hi <= a.lo) a.hi = a.lo * 10;
    }
    const int d0 = int(std::floor(std::log10(a.lo))), d1 = int(std::ceil(std::log10(a.hi)));
    const int stride = std::max(1, (d1 - d0) / std::max(1, target));
    for (int d = d0; d <= d1; d += stride) {
      const double v = std::pow(10.0, d);
      if (v >= a.lo * (1 - 1e-9) && v <= a.hi * (1 + 1e-9)) t.push_back(v);
    }
    return t;
  }
  if (a.hi <= a.lo) {
    const double pad = a.lo == 0 ? 1 : std::abs(a.lo) * 0.1;
    a.lo -= pad;
    a.hi += pad;
  }
  const double step = nice_step(a.hi - a.lo, target);
  if (!fixed) {
    a.lo = std::floor(a.lo / step + 1e-9) * step;
    a.hi = std::ceil(a.hi / step - 1e-9) * step;
  }
  for (double v = std::ceil(a.lo / step - 1e-9) * step; v <= a.hi + step * 1e-9; v += step)
    t.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  return t;
}

std::string tick_label(double v, bool log) {
  char buf[32];
  if (log) {
    const double e = std::log10(v);
    if (std::abs(e) >= 4) std::snprintf(buf, sizeof buf, "1e%d", int(std::lround(e)));
    else std::snprintf(buf, sizeof buf, "%g", v);
  } else {
    std::snprintf(buf, sizeof buf, "%g", std::abs(v) < 1e-12 ? 0.0 : v);
  }
  return buf;
}

class Canvas {
 public:
  Canvas(int w, int h) : w_(w), h_(h) {
    surf_ = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cr_ = cairo_create(surf_);
    cairo_set_source_rgb(cr_, 1, 1, 1);
    cairo_paint(cr_);
    cairo_select_font_face(cr_, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  }
  ~Canvas() {
    cairo_destroy(cr_);
    cairo_surface_destroy(surf_);
  }
  cairo_t* cr() { return cr_; }
  double text_width(const std::string& s, double size) {
    cairo_set_font_size(cr_, size);
    cairo_text_extents_t e;
    cairo_text_extents(cr_, s.c_str(), &e);
    return e.x_advance;
  }
  // Text anchored by (ax, ay) ∈ {0, .5, 1}² (left/centre/right, top/middle/baseline-ish).
  void text(const std::string& s, double x, double y, double size, double ax, double ay,
            double angle = 0, bool bold = false) {
    cairo_save(cr_);
    cairo_select_font_face(cr_, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr_, size);
    cairo_text_extents_t e;
    cairo_text_extents(cr_, s.c_str(), &e);
    cairo_translate(cr_, x, y);
    cairo_rotate(cr_, angle);
    // Vertical anchor: 0 = top of caps at y, 1 = baseline at y.
    cairo_move_to(cr_, -ax * e.x_advance, size * 0.72 * (1 - ay));
    cairo_set_source_rgb(cr_, 0.1, 0.1, 0.1);
    cairo_show_text(cr_, s.c_str());
    cairo_restore(cr_);
  }
  void save(const std::string& path) {
    cairo_surface_flush(surf_);
    const auto st = cairo_surface_write_to_png(surf_, path.c_str());
    if (st != CAIRO_STATUS_SUCCESS)
      throw IoError(path, std::string("cannot write PNG: ") + cairo_status_to_string(st));
  }

 private:
  int w_, h_;
  cairo_surface_t* surf_;
  cairo_t* cr_;
};

struct Frame {
  double x0, y0, x1, y1;  // plot area in pixels (y0 top)
  Axis ax, ay;
  double px(double v) const { return x0 + ax.map(v) * (x1 - x0); }
  double py(double v) const { return y1 - ay.map(v) * (y1 - y0); }
};

bool usable(double x, double y, bool log_y) {
  return std::isfinite(x) && std::isfinite(y) && (!log_y || y > 0);
}

// Data ranges, ticks, frame, grid, labels; returns the frame to draw data into.
Frame draw_axes(Canvas& cv, const std::vector<Series>& series, const ChartOptions& opt,
                bool scatter) {
  Frame f;
  f.ay.log = opt.log_y;
  double xlo = std::numeric_limits<double>::infinity(), xhi = -xlo, ylo = xlo, yhi = -xlo;
  for (const auto& s : series)
    for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!usable(s.x[i], s.y[i], opt.log_y)) continue;
      xlo = std::min(xlo, s.x[i]);
      xhi = std::max(xhi, s.x[i]);
      ylo = std::min(ylo, s.y[i]);
      yhi = std::max(yhi, s.y[i]);
    }
  if (!std::isfinite(xlo)) xlo = 0, xhi = 1, ylo = opt.log_y ? 1 : 0, yhi = opt.log_y ? 10 : 1;
  if (scatter) {  // breathing room around points
    const double px = (xhi - xlo) * 0.04, py = (yhi - ylo) * 0.04;
    xlo -= px, xhi += px, ylo -= py, yhi += py;
  }
  f.ax.lo = xlo, f.ax.hi = xhi, f.ay.lo = ylo, f.ay.hi = yhi;
  const bool fixed = opt.equal_axes_01;
  if (fixed) f.ax = {0, 1, false}, f.ay = {0, 1, false};
  const auto xt = nice_ticks(f.ax, 8, fixed);
  const auto yt = nice_ticks(f.ay, 6, fixed);

  const double W = opt.width, H = opt.height;
  double left = 78, right = 24, top = opt.title.empty() ? 24 : 50, bottom = 62;
  if (fixed) {  // square plot area
    const double side = std::min(W - left - right, H - top - bottom);
    right = W - left - side;
    bottom = H - top - side;
  }
  f.x0 = left, f.x1 = W - right, f.y0 = top, f.y1 = H - bottom;

  cairo_t* cr = cv.cr();
  cairo_set_line_width(cr, 1);
  cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);  // grid
  for (double v : xt) {
    cairo_move_to(cr, std::round(f.px(v)) + 0.5, f.y0);
    cairo_line_to(cr, std::round(f.px(v)) + 0.5, f.y1);
  }
  for (double v : yt) {
    cairo_move_to(cr, f.x0, std::round(f.py(v)) + 0.5);
    cairo_line_to(cr, f.x1, std::round(f.py(v)) + 0.5);
  }
  cairo_stroke(cr);
  cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);  // frame and ticks
  cairo_rectangle(cr, f.x0 + 0.5, f.y0 + 0.5, f.x1 - f.x0, f.y1 - f.y0);
  for (double v : xt) {
    cairo_move_to(cr, std::round(f.px(v)) + 0.5, f.y1);
    cairo_line_to(cr, std::round(f.px(v)) + 0.5, f.y1 + 5);
  }
  for (double v : yt) {
    cairo_move_to(cr, f.x0 - 5, std::round(f.py(v)) + 0.5);
    cairo_line_to(cr, f.x0, std::round(f.py(v)) + 0.5);
  }
  cairo_stroke(cr);
  for (double v : xt) cv.text(tick_label(v, false), f.px(v), f.y1 + 9, 12, 0.5, 0);
  for (double v : yt) cv.text(tick_label(v, opt.log_y), f.x0 - 9, f.py(v), 12, 1, 0.5);
  if (!opt.title.empty()) cv.text(opt.title, W / 2, 16, 16, 0.5, 0, 0, true);
  if (!opt.x_label.empty()) cv.text(opt.x_label, (f.x0 + f.x1) / 2, H - 26, 13, 0.5, 0);
  if (!opt.y_label.empty()) cv.text(opt.y_label, 20, (f.y0 + f.y1) / 2, 13, 0.5, 0, -M_PI / 2);
  if (fixed) {  // chance diagonal
    const double dash[] = {6, 4};
    cairo_set_dash(cr, dash, 2, 0);
    cairo_set_source_rgb(cr, 0.55, 0.55, 0.55);
    cairo_move_to(cr, f.px(0), f.py(0));
    cairo_line_to(cr, f.px(1), f.py(1));
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0);
  }
  return f;
}

void draw_legend(Canvas& cv, const Frame& f, const std::vector<std::string>& names, bool lines,
                 bool bottom) {
  if (names.empty()) return;
  const double size = 12, row = 18, pad = 8, swatch = 22;
  double w = 0;
  for (const auto& n : names) w = std::max(w, cv.text_width(n, size));
  const double bw = pad * 2 + swatch + 6 + w, bh = pad * 2 + row * names.size() - 4;
  const double bx = f.x1 - bw - 10, by = bottom ? f.y1 - bh - 10 : f.y0 + 10;
  cairo_t* cr = cv.cr();
  cairo_set_source_rgba(cr, 1, 1, 1, 0.88);
  cairo_rectangle(cr, bx, by, bw, bh);
  cairo_fill_preserve(cr);
  cairo_set_source_rgb(cr, 0.75, 0.75, 0.75);
  cairo_set_line_width(cr, 1);
  cairo_stroke(cr);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const double cy = by + pad + row * i + 6;
    const Rgb c = palette(i);
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
    if (lines) {
      cairo_set_line_width(cr, 2.5);
      cairo_move_to(cr, bx + pad, cy);
      cairo_line_to(cr, bx + pad + swatch, cy);
      cairo_stroke(cr);
    } else {
      cairo_arc(cr, bx + pad + swatch / 2, cy, 4.5, 0, 2 * M_PI);
      cairo_fill(cr);
    }
    cv.text(names[i], bx + pad + swatch + 6, cy, size, 0, 0.5);
  }
}

void check_series(const std::string& path, const std::vector<Series>& series) {
  for (const auto& s : series)
    if (s.x.size() != s.y.size())
      throw ConfigError("chart " + path + ": series '" + s.name + "' has " +
                        std::to_string(s.x.size()) + " x but " + std::to_string(s.y.size()) + " y");
}

}  // namespace

void save_line_chart(const std::string& png_path, const std::vector<Series>& series,
                     const ChartOptions& opt) {
  check_series(png_path, series);
  Canvas cv(opt.width, opt.height);
  const Frame f = draw_axes(cv, series, opt, false);
  cairo_t* cr = cv.cr();
  cairo_save(cr);
  cairo_rectangle(cr, f.x0, f.y0, f.x1 - f.x0, f.y1 - f.y0);
  cairo_clip(cr);
  cairo_set_line_width(cr, 2);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  for (std::size_t k = 0; k < series.size(); ++k) {
    const Rgb c = palette(k);
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
    bool pen = false;
    const auto& s = series[k];
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!usable(s.x[i], s.y[i], opt.log_y)) {  // gap at NaN / non-positive on log axis
        pen = false;
        continue;
      }
      if (pen) cairo_line_to(cr, f.px(s.x[i]), f.py(s.y[i]));
      else cairo_move_to(cr, f.px(s.x[i]), f.py(s.y[i]));
      pen = true;
    }
    if (s.x.size() == 1 && pen) {  // single point: a dot
      cairo_arc(cr, f.px(s.x[0]), f.py(s.y[0]), 3, 0, 2 * M_PI);
      cairo_fill(cr);
    }
    cairo_stroke(cr);
  }
  cairo_restore(cr);
  std::vector<std::string> names;
  for (const auto& s : series) names.push_back(s.name);
  if (series.size() > 1 || (!series.empty() && !series[0].name.empty()))
    draw_legend(cv, f, names, true, opt.equal_axes_01);
  cv.save(png_path);
}

void save_scatter(const std::string& png_path, const std::vector<Series>& groups,
                  const ChartOptions& opt) {
  check_series(png_path, groups);
  Canvas cv(opt.width, opt.height);
  const Frame f = draw_axes(cv, groups, opt, true);
  cairo_t* cr = cv.cr();
  cairo_save(cr);
  cairo_rectangle(cr, f.x0, f.y0, f.x1 - f.x0, f.y1 - f.y0);
  cairo_clip(cr);
  std::size_t total = 0;
  for (const auto& g : groups) total += g.x.size();
  const double radius = total > 5000 ? 1.6 : total > 1000 ? 2.3 : 3.2;
  for (std::size_t k = 0; k < groups.size(); ++k) {
    const Rgb c = palette(k);
    cairo_set_source_rgba(cr, c.r, c.g, c.b, 0.75);
    for (std::size_t i = 0; i < groups[k].x.size(); ++i) {
      if (!usable(groups[k].x[i], groups[k].y[i], opt.log_y)) continue;
      cairo_new_sub_path(cr);
      cairo_arc(cr, f.px(groups[k].x[i]), f.py(groups[k].y[i]), radius, 0, 2 * M_PI);
    }
    cairo_fill(cr);
  }
  cairo_restore(cr);
  std::vector<std::string> names;
  for (const auto& g : groups) names.push_back(g.name + " (" + std::to_string(g.x.size()) + ")");
  draw_legend(cv, f, names, false, false);
  cv.save(png_path);
}

}  // namespace cgdmer
