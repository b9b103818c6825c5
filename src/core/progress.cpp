// Implements progress.h.
#include "core/progress.h"

#include <cstdio>
#include <unistd.h>

namespace cgdmer {

std::string format_duration(double s) {
  char buf[64];
  if (s < 0) s = 0;
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, (int(s) % 3600) / 60);
  }
  return buf;
}

bool Progress::stderr_is_tty() { return ::isatty(2) == 1; }

Progress::Progress(std::string label, std::int64_t total, std::string unit,
                   double plain_interval_s)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      plain_interval_s_(plain_interval_s),
      tty_(stderr_is_tty()),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() {
  if (!finished_ && tty_ && done_ > 0) std::fputc('\n', stderr);
}

double Progress::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

double Progress::rate() const {
  double t = elapsed_s();
  return t > 0 ? double(done_ - start_done_) / t : 0.0;
}

void Progress::advance(std::int64_t n, const std::string& suffix) {
  done_ += n;
  draw(false, suffix);
}

void Progress::set(std::int64_t done, const std::string& suffix) {
  if (done_ == 0 && start_done_ == 0 && done > 0 && elapsed_s() < 1e-3) start_done_ = done;
  done_ = done;
  draw(false, suffix);
}

void Progress::finish(const std::string& suffix) {
  if (finished_) return;
  draw(true, suffix);
  if (tty_) std::fputc('\n', stderr);
  finished_ = true;
}

void Progress::draw(bool force, const std::string& suffix) {
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_draw_).count();
  double min_gap = tty_ ? 0.1 : plain_interval_s_;
  if (!force && since < min_gap) return;
  last_draw_ = now;
  double r = rate();
  std::string eta = "?";
  if (total_ > 0 && r > 0) eta = format_duration(double(total_ - done_) / r);
  char head[256];
  if (total_ > 0) {
    double frac = double(done_) / double(total_);
    if (tty_) {
      const int width = 24;
      int fill = int(frac * width + 0.5);
      std::string bar(fill, '#');
      bar.resize(width, '.');
      std::snprintf(head, sizeof head, "\r%s [%s] %lld/%lld %s %.1f %s/s ETA %s", label_.c_str(),
                    bar.c_str(), (long long)done_, (long long)total_, unit_.c_str(), r,
                    unit_.c_str(), eta.c_str());
    } else {
      std::snprintf(head, sizeof head, "%s %lld/%lld %s (%.0f%%) %.1f %s/s elapsed %s ETA %s",
                    label_.c_str(), (long long)done_, (long long)total_, unit_.c_str(),
                    100.0 * frac, r, unit_.c_str(), format_duration(elapsed_s()).c_str(),
                    eta.c_str());
    }
  } else {
    std::snprintf(head, sizeof head, "%s%s %lld %s %.1f %s/s elapsed %s", tty_ ? "\r" : "",
                  label_.c_str(), (long long)done_, unit_.c_str(), r, unit_.c_str(),
                  format_duration(elapsed_s()).c_str());
  }
  std::fputs(head, stderr);
  if (!suffix.empty()) {
    std::fputc(' ', stderr);
    std::fputs(suffix.c_str(), stderr);
  }
  if (tty_) std::fputs("\x1b[K", stderr);  // clear the rest of the line
  else std::fputc('\n', stderr);
  std::fflush(stderr);
}

}  // namespace cgdmer
