// PNG charts drawn with cairo (no plotting package exists in Debian for C++): line charts
// (training curves, ROC curves) and labelled scatter plots (t-SNE). Axes with ticks, labels,
// legend; DejaVu Sans text. Throws IoError when the PNG cannot be written.
#pragma once

#include <string>
#include <vector>

namespace cgdmer {

struct Series {
  std::string name;
  std::vector<double> x, y;
};

struct ChartOptions {
  std::string title, x_label, y_label;
  int width = 900, height = 560;
  bool log_y = false;
  bool equal_axes_01 = false;  // ROC: both axes fixed to [0,1] with the chance diagonal
};

void save_line_chart(const std::string& png_path, const std::vector<Series>& series,
                     const ChartOptions& opt);

// One colour per group, legend lists group names (and counts).
void save_scatter(const std::string& png_path, const std::vector<Series>& groups,
                  const ChartOptions& opt);

}  // namespace cgdmer
