// Progress reporting for long steps (prepare, pretrain, embed, probe): on a terminal a
// single redrawn bar with rate and ETA; otherwise (CI, logs, pipes) one plain line at most
// every `plain_interval_s` seconds, so logs stay readable.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace cgdmer {

class Progress {
 public:
  // total = 0 means unknown (no ETA). unit names what is counted ("records", "steps").
  Progress(std::string label, std::int64_t total, std::string unit = "it",
           double plain_interval_s = 10.0);
  ~Progress();

  void advance(std::int64_t n = 1, const std::string& suffix = {});
  void set(std::int64_t done, const std::string& suffix = {});
  void finish(const std::string& suffix = {});  // final line, always printed
  double elapsed_s() const;
  double rate() const;  // units per second since start
  static bool stderr_is_tty();

 private:
  void draw(bool force, const std::string& suffix);

  std::string label_, unit_;
  std::int64_t total_, done_ = 0, start_done_ = 0;
  double plain_interval_s_;
  bool tty_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// "1h02m", "3m05s", "12.3s".
std::string format_duration(double seconds);

}  // namespace cgdmer
