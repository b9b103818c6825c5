// 12-lead ECG drawn as clinicians read it (cairo, PNG or PDF by the output's extension):
// the standard 3×4 layout (I, II, III | aVR, aVL, aVF | V1–V3 | V4–V6, each column 2.5 s of the
// same 10 s) plus a full-length lead II rhythm strip, on the red millimetre grid (1 mm small
// boxes, bold 5 mm boxes) at 25 mm/s and 10 mm/mV, with lead labels and a 1 mV × 200 ms
// calibration pulse at the start of each row. Optional overlays: a second trace (e.g. the MAE
// reconstruction, NaN = not drawn) and a shading behind time spans (mask or saliency).
// Torch-free; the overlays are computed in serve/ecg_overlays.h.
// Units at the boundary: samples in `units` (mV, or arbitrary units for min–max scaled data),
// time from fs (Hz); geometry in mm, device pixels = mm · dpi / 25.4 exactly.
#pragma once

#include <string>
#include <vector>

namespace cgdmer {

struct EcgPlotLead {
  std::string name;             // "I", "II", "aVR", "V1", ... (matched case-insensitively)
  std::vector<float> values;    // in EcgPlotData::units, at EcgPlotData::fs
  std::vector<float> overlay;   // optional second trace, same length; NaN samples not drawn
  std::vector<float> shade;     // optional per-span shading in [0, 1], span = shade_seconds
};

enum class EcgShadeStyle { kMask, kHeat };  // grey blocks (masked patches) / blue heat

struct EcgPlotData {
  double fs = 500;                      // Hz
  std::vector<EcgPlotLead> leads;       // any order, any subset; missing ones say "not recorded"
  std::string units = "mV";             // "mV" or e.g. "a.u." (then the pulse is labelled)
  std::string title;                    // top line, e.g. the record id
  std::vector<std::string> notes;       // extra lines under the title (scale, method, legend)
  double shade_seconds = 0;             // duration of one shade span (a model patch), s
  EcgShadeStyle shade_style = EcgShadeStyle::kMask;
  std::string overlay_label, shade_label;  // legend entries ("" = none)
};

struct EcgPlotOptions {
  double dpi = 150;             // PNG pixels per inch; 1 mm = dpi / 25.4 px
  double speed_mm_s = 25;       // paper speed
  double gain_mm_per_unit = 10; // 10 mm/mV; for a.u. data the caller picks its own
  double cal_units = 1;         // calibration pulse height in units (1 mV → 10 mm)
  double seconds = 10;          // the strip length shown (from the record start)
  bool center_on_median = true; // each lead drawn around its median (an offset, no filter)
};

// Page geometry in mm, shared by the drawing and the tests (which measure the PNG).
struct EcgPlotLayout {
  double page_w = 0, page_h = 0;       // mm
  double grid_x0 = 0, grid_y0 = 0;     // top-left of the grid, mm
  double grid_w = 0, grid_h = 0;       // mm (whole 5 mm boxes)
  double cal_w = 0;                    // mm reserved for the calibration pulse of each row
  double row_h = 0;                    // mm per row (4 rows: 3 layout rows + rhythm strip)
  double col_w = 0;                    // mm per layout column (2.5 s)
  // Panel (x, y, w, h) in mm of layout row r (0..2), column c (0..3); the rhythm strip.
  struct Rect { double x, y, w, h; };
  Rect panel(int r, int c) const;
  Rect rhythm() const;
};
EcgPlotLayout ecg_plot_layout(const EcgPlotOptions& opt);

// The standard 3×4 order: kEcgLayout[row][column].
extern const char* const kEcgLayout[3][4];

// Writes `path`: ".pdf" → PDF (vector, mm exact), ".png" → PNG at opt.dpi (case-insensitive).
// Throws ConfigError for another extension or bad options/data, IoError when the file cannot
// be written.
void save_ecg_plot(const std::string& path, const EcgPlotData& data, const EcgPlotOptions& opt = {});

}  // namespace cgdmer
