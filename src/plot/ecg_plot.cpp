// The clinical 12-lead ECG page (see ecg_plot.h). Everything is drawn in millimetres under a
// cairo scale (PNG: dpi/25.4 px per mm; PDF: 72/25.4 pt per mm); PNG grid lines are snapped
// to whole pixels one by one (never accumulated), so every line lies within 0.5 px of its
// exact mm position and a 5 mm box measures 5·dpi/25.4 px ± 1.
#include "plot/ecg_plot.h"

#include <cairo-pdf.h>
#include <cairo.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <memory>

#include "core/error.h"

namespace cgdmer {

const char* const kEcgLayout[3][4] = {{"I", "aVR", "V1", "V4"},
                                      {"II", "aVL", "V2", "V5"},
                                      {"III", "aVF", "V3", "V6"}};

namespace {

constexpr double kMarginX = 10, kHeaderH = 25, kFooterH = 10;  // mm
constexpr double kRowH = 35, kCalW = 10;                         // mm
constexpr double kBaselineFrac = 0.6;  // baseline 60% down a row: R waves need more room

struct Rgb {
  double r, g, b;
};
constexpr Rgb kSmallGrid{0.98, 0.78, 0.78}, kBoldGrid{0.89, 0.40, 0.40};
constexpr Rgb kTrace{0.05, 0.05, 0.05}, kOverlay{0.05, 0.35, 0.95};
constexpr Rgb kMaskShade{0.45, 0.45, 0.45}, kHeatShade{0.10, 0.70, 0.25};

std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ends_with(const std::string& s, const std::string& suf) {
  return s.size() >= suf.size() && lower(s.substr(s.size() - suf.size())) == suf;
}

const EcgPlotLead* find_lead(const EcgPlotData& d, const std::string& name) {
  for (const auto& l : d.leads)
    if (lower(l.name) == lower(name) && !l.values.empty()) return &l;
  return nullptr;
}

double median_of(const std::vector<float>& v, std::size_t n) {
  std::vector<float> f;
  for (std::size_t i = 0; i < std::min(n, v.size()); ++i)
    if (std::isfinite(v[i])) f.push_back(v[i]);
  if (f.empty()) return 0;
  std::nth_element(f.begin(), f.begin() + f.size() / 2, f.end());
  return f[f.size() / 2];
}

class Page {
 public:
  Page(const std::string& path, const EcgPlotLayout& lay, double dpi) : path_(path) {
    pdf_ = ends_with(path, ".pdf");
    if (pdf_) {
      scale_ = 72.0 / 25.4;
      surf_ = cairo_pdf_surface_create(path.c_str(), lay.page_w * scale_, lay.page_h * scale_);
    } else {
      scale_ = dpi / 25.4;
      surf_ = cairo_image_surface_create(CAIRO_FORMAT_RGB24, int(std::ceil(lay.page_w * scale_)),
                                         int(std::ceil(lay.page_h * scale_)));
    }
    if (cairo_surface_status(surf_) != CAIRO_STATUS_SUCCESS)
      throw IoError(path, std::string("cannot create surface: ") +
                              cairo_status_to_string(cairo_surface_status(surf_)));
    cr_ = cairo_create(surf_);
    cairo_set_source_rgb(cr_, 1, 1, 1);
    cairo_paint(cr_);
    cairo_scale(cr_, scale_, scale_);  // user units: mm
  }
  ~Page() {
    cairo_destroy(cr_);
    cairo_surface_destroy(surf_);
  }
  cairo_t* cr() { return cr_; }
  bool pdf() const { return pdf_; }
  double px() const { return 1.0 / scale_; }  // one device unit in mm
  // mm coordinate of a grid line of `width_px` device pixels, snapped for crisp PNG lines.
  double snap(double mm, int width_px) const {
    if (pdf_) return mm;
    const double d = std::round(mm * scale_) + (width_px % 2 ? 0.5 : 0.0);
    return d / scale_;
  }
  void text(const std::string& s, double x, double y, double size_mm, Rgb c, bool bold = false,
            bool italic = false, double anchor_x = 0) {
    cairo_select_font_face(cr_, "DejaVu Sans", italic ? CAIRO_FONT_SLANT_ITALIC : CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr_, size_mm);
    cairo_text_extents_t e;
    cairo_text_extents(cr_, s.c_str(), &e);
    cairo_set_source_rgb(cr_, c.r, c.g, c.b);
    cairo_move_to(cr_, x - anchor_x * e.x_advance, y);
    cairo_show_text(cr_, s.c_str());
  }
  void finish() {
    if (pdf_) {
      cairo_show_page(cr_);
      cairo_surface_finish(surf_);
      if (cairo_surface_status(surf_) != CAIRO_STATUS_SUCCESS)
        throw IoError(path_, std::string("cannot write PDF: ") +
                                 cairo_status_to_string(cairo_surface_status(surf_)));
      return;
    }
    cairo_surface_flush(surf_);
    const auto st = cairo_surface_write_to_png(surf_, path_.c_str());
    if (st != CAIRO_STATUS_SUCCESS)
      throw IoError(path_, std::string("cannot write PNG: ") + cairo_status_to_string(st));
  }

 private:
  std::string path_;
  bool pdf_ = false;
  double scale_ = 1;
  cairo_surface_t* surf_ = nullptr;
  cairo_t* cr_ = nullptr;
};

void draw_grid(Page& pg, const EcgPlotLayout& L) {
  cairo_t* cr = pg.cr();
  const int nx = int(std::lround(L.grid_w)), ny = int(std::lround(L.grid_h));
  for (int bold = 0; bold < 2; ++bold) {  // bold 5 mm lines over the 1 mm lines
    const int wpx = bold ? 2 : 1;
    const Rgb c = bold ? kBoldGrid : kSmallGrid;
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
    cairo_set_line_width(cr, pg.pdf() ? (bold ? 0.25 : 0.1) : wpx * pg.px());
    for (int i = 0; i <= nx; ++i) {
      if ((i % 5 == 0) != bool(bold)) continue;
      const double x = pg.snap(L.grid_x0 + i, wpx);
      cairo_move_to(cr, x, L.grid_y0);
      cairo_line_to(cr, x, L.grid_y0 + L.grid_h);
    }
    for (int j = 0; j <= ny; ++j) {
      if ((j % 5 == 0) != bool(bold)) continue;
      const double y = pg.snap(L.grid_y0 + j, wpx);
      cairo_move_to(cr, L.grid_x0, y);
      cairo_line_to(cr, L.grid_x0 + L.grid_w, y);
    }
    cairo_stroke(cr);
  }
}

// Shading spans behind a panel showing [t0, t1) s of `lead`.
void draw_shade(Page& pg, const EcgPlotData& d, const EcgPlotLead& lead, const EcgPlotLayout::Rect& r,
                double t0, double t1, double mm_per_s) {
  if (lead.shade.empty() || d.shade_seconds <= 0) return;
  cairo_t* cr = pg.cr();
  for (std::size_t k = 0; k < lead.shade.size(); ++k) {
    const double a = k * d.shade_seconds, b = a + d.shade_seconds;
    const double v = lead.shade[k];
    if (!(v > 0) || b <= t0 || a >= t1) continue;
    const double x0 = r.x + (std::max(a, t0) - t0) * mm_per_s, x1 = r.x + (std::min(b, t1) - t0) * mm_per_s;
    if (d.shade_style == EcgShadeStyle::kMask)
      cairo_set_source_rgba(cr, kMaskShade.r, kMaskShade.g, kMaskShade.b, 0.22 * std::min(1.0, v));
    else
      cairo_set_source_rgba(cr, kHeatShade.r, kHeatShade.g, kHeatShade.b, 0.65 * std::min(1.0, v));
    cairo_rectangle(cr, x0, r.y, x1 - x0, r.h);
    cairo_fill(cr);
  }
}

// One trace over [t0, t1) s into panel r (clipped to the panel's column, the grid's height).
void draw_trace(Page& pg, const EcgPlotData& d, const std::vector<float>& v, double offset,
                const EcgPlotLayout::Rect& r, const EcgPlotLayout& L, double t0, double t1,
                const EcgPlotOptions& o, Rgb c, double width_mm) {
  if (v.empty()) return;
  cairo_t* cr = pg.cr();
  cairo_save(cr);
  cairo_rectangle(cr, r.x, L.grid_y0, r.w, L.grid_h);
  cairo_clip(cr);
  cairo_set_source_rgb(cr, c.r, c.g, c.b);
  cairo_set_line_width(cr, width_mm);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  const double base = r.y + r.h * kBaselineFrac;
  const auto i0 = std::int64_t(std::ceil(t0 * d.fs - 1e-9));
  const auto i1 = std::min<std::int64_t>(std::int64_t(v.size()), std::int64_t(std::ceil(t1 * d.fs - 1e-9)) + 1);
  bool pen = false;
  for (std::int64_t i = std::max<std::int64_t>(0, i0); i < i1; ++i) {
    if (!std::isfinite(v[i])) {
      pen = false;
      continue;
    }
    const double x = r.x + (i / d.fs - t0) * o.speed_mm_s;
    const double y = base - (v[i] - offset) * o.gain_mm_per_unit;
    if (pen) cairo_line_to(cr, x, y);
    else cairo_move_to(cr, x, y);
    pen = true;
  }
  cairo_stroke(cr);
  cairo_restore(cr);
}

void draw_calibration(Page& pg, const EcgPlotData& d, const EcgPlotLayout& L, double row_y,
                      const EcgPlotOptions& o) {
  cairo_t* cr = pg.cr();
  const double base = row_y + L.row_h * kBaselineFrac, h = o.cal_units * o.gain_mm_per_unit;
  const double w = 0.2 * o.speed_mm_s;  // 200 ms
  const double x = L.grid_x0 + 1.5;
  cairo_set_source_rgb(cr, kTrace.r, kTrace.g, kTrace.b);
  cairo_set_line_width(cr, 0.25);
  cairo_move_to(cr, x, base);
  cairo_line_to(cr, x + 1.5, base);
  cairo_line_to(cr, x + 1.5, base - h);
  cairo_line_to(cr, x + 1.5 + w, base - h);
  cairo_line_to(cr, x + 1.5 + w, base);
  cairo_line_to(cr, x + 3 + w, base);
  cairo_stroke(cr);
  if (d.units != "mV") {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%g %s", o.cal_units, d.units.c_str());
    pg.text(buf, x, base - h - 1.2, 2.3, kTrace);
  }
}

}  // namespace

EcgPlotLayout::Rect EcgPlotLayout::panel(int r, int c) const {
  return {grid_x0 + cal_w + c * col_w, grid_y0 + r * row_h, col_w, row_h};
}
EcgPlotLayout::Rect EcgPlotLayout::rhythm() const {
  return {grid_x0 + cal_w, grid_y0 + 3 * row_h, 4 * col_w, row_h};
}

EcgPlotLayout ecg_plot_layout(const EcgPlotOptions& o) {
  if (!(o.dpi >= 20 && o.dpi <= 1200)) throw ConfigError("--dpi must be in [20, 1200]");
  if (!(o.speed_mm_s > 0) || !(o.seconds > 0) || !(o.gain_mm_per_unit > 0))
    throw ConfigError("ECG plot: speed, seconds and gain must be > 0");
  EcgPlotLayout L;
  L.cal_w = kCalW;
  L.col_w = o.seconds / 4 * o.speed_mm_s;
  L.row_h = kRowH;
  L.grid_x0 = kMarginX;
  L.grid_y0 = kHeaderH;
  L.grid_w = std::ceil((L.cal_w + 4 * L.col_w) / 5 - 1e-9) * 5;  // whole 5 mm boxes
  L.grid_h = 4 * L.row_h;
  L.page_w = L.grid_w + 2 * kMarginX;
  L.page_h = kHeaderH + L.grid_h + kFooterH;
  return L;
}

void save_ecg_plot(const std::string& path, const EcgPlotData& d, const EcgPlotOptions& o) {
  if (!ends_with(path, ".png") && !ends_with(path, ".pdf"))
    throw ConfigError("ECG plot output '" + path + "' must end in .png or .pdf");
  if (!(d.fs > 0)) throw ConfigError("ECG plot: sampling rate must be > 0 (got " + std::to_string(d.fs) + ")");
  for (const auto& l : d.leads)
    if (!l.overlay.empty() && l.overlay.size() != l.values.size())
      throw ConfigError("ECG plot: lead " + l.name + " overlay has " + std::to_string(l.overlay.size()) +
                        " samples, trace " + std::to_string(l.values.size()));
  const EcgPlotLayout L = ecg_plot_layout(o);
  Page pg(path, L, o.dpi);
  const double colsec = o.seconds / 4;
  const auto n_show = std::size_t(std::ceil(o.seconds * d.fs));
  auto offset_of = [&](const EcgPlotLead& l) { return o.center_on_median ? median_of(l.values, n_show) : 0.0; };

  // Shading first (behind the grid lines and traces).
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c)
      if (const auto* l = find_lead(d, kEcgLayout[r][c]))
        draw_shade(pg, d, *l, L.panel(r, c), c * colsec, (c + 1) * colsec, o.speed_mm_s);
  const EcgPlotLead* rhythm = find_lead(d, "II");
  for (int k = 0; !rhythm && k < 12; ++k) rhythm = find_lead(d, kEcgLayout[k % 3][k / 3]);
  if (rhythm) draw_shade(pg, d, *rhythm, L.rhythm(), 0, o.seconds, o.speed_mm_s);

  draw_grid(pg, L);

  cairo_t* cr = pg.cr();
  for (int r = 0; r < 4; ++r) draw_calibration(pg, d, L, L.grid_y0 + r * L.row_h, o);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) {
      const auto rect = L.panel(r, c);
      const auto* l = find_lead(d, kEcgLayout[r][c]);
      if (l) {
        const double off = offset_of(*l);
        draw_trace(pg, d, l->values, off, rect, L, c * colsec, (c + 1) * colsec, o, kTrace, 0.25);
        draw_trace(pg, d, l->overlay, off, rect, L, c * colsec, (c + 1) * colsec, o, kOverlay, 0.3);
      } else {
        pg.text("not recorded", rect.x + rect.w / 2, rect.y + rect.h * kBaselineFrac, 3, {0.45, 0.45, 0.45},
                false, true, 0.5);
      }
      pg.text(kEcgLayout[r][c], rect.x + 1.5, rect.y + 4.5, 3.5, kTrace, true);
      if (c > 0) {  // lead change marker, as on printed ECGs
        const double base = rect.y + rect.h * kBaselineFrac;
        cairo_set_source_rgb(cr, kTrace.r, kTrace.g, kTrace.b);
        cairo_set_line_width(cr, 0.3);
        cairo_move_to(cr, rect.x, base - 3);
        cairo_line_to(cr, rect.x, base + 3);
        cairo_stroke(cr);
      }
    }
  const auto rr = L.rhythm();
  if (rhythm) {
    const double off = offset_of(*rhythm);
    draw_trace(pg, d, rhythm->values, off, rr, L, 0, o.seconds, o, kTrace, 0.25);
    draw_trace(pg, d, rhythm->overlay, off, rr, L, 0, o.seconds, o, kOverlay, 0.3);
    pg.text(rhythm->name + " (rhythm)", rr.x + 1.5, rr.y + 4.5, 3.5, kTrace, true);
  } else {
    pg.text("not recorded", rr.x + rr.w / 2, rr.y + rr.h * kBaselineFrac, 3, {0.45, 0.45, 0.45}, false, true, 0.5);
  }

  // Header: title, notes, legend; footer: the scales.
  pg.text(d.title, kMarginX, 7, 4.2, kTrace, true);
  double y = 12;
  for (const auto& n : d.notes) {
    if (y > kHeaderH - 1.5) break;
    pg.text(n, kMarginX, y, 2.8, {0.2, 0.2, 0.2});
    y += 3.6;
  }
  // Legend on the footer line, right of the scales (the header's notes may be long).
  const double fy = L.grid_y0 + L.grid_h + 5.5;
  double lx = kMarginX + 110;
  if (!d.overlay_label.empty()) {
    cairo_set_source_rgb(cr, kOverlay.r, kOverlay.g, kOverlay.b);
    cairo_set_line_width(cr, 0.5);
    cairo_move_to(cr, lx, fy - 1);
    cairo_line_to(cr, lx + 6, fy - 1);
    cairo_stroke(cr);
    pg.text(d.overlay_label, lx + 8, fy, 2.8, kTrace);
    lx += 80;
  }
  if (!d.shade_label.empty()) {
    const Rgb c = d.shade_style == EcgShadeStyle::kMask ? kMaskShade : kHeatShade;
    cairo_set_source_rgba(cr, c.r, c.g, c.b, d.shade_style == EcgShadeStyle::kMask ? 0.3 : 0.65);
    cairo_rectangle(cr, lx, fy - 2.5, 6, 3);
    cairo_fill(cr);
    pg.text(d.shade_label, lx + 8, fy, 2.8, kTrace);
  }
  char foot[200];
  std::snprintf(foot, sizeof foot, "%g mm/s   %g mm/%s   %g Hz   %g s   %s", o.speed_mm_s, o.gain_mm_per_unit,
                d.units.c_str(), d.fs, o.seconds,
                pg.pdf() ? "PDF (1 mm = 1 mm at 100%)" : (std::to_string(int(o.dpi)) + " dpi").c_str());
  pg.text(foot, kMarginX, fy, 2.8, {0.2, 0.2, 0.2});
  pg.finish();
}

}  // namespace cgdmer
