// Progress on stderr for long commands (convert, verify): a redrawn bar with rate and ETA when
// stderr is a terminal, otherwise a plain line every ~10% or 10 seconds (logs stay readable).
// Not here: anything on stdout (results and JSON go there, untouched by progress).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace hearth::convert {

class Progress {
 public:
  // unit: what is counted ("MB", "tok"); scale divides raw counts for display.
  Progress(std::string label, std::string unit, double scale = 1.0, bool enabled = true);
  void update(double done, double total, const std::string& note = "");
  void finish();  // ends the bar's line

 private:
  std::string label_, unit_;
  double scale_;
  bool enabled_, tty_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  int last_decile_ = -1;
  bool drawn_ = false;
};

}  // namespace hearth::convert
