// Progress of a long job on stderr: a bar redrawn in place when stderr is a terminal, a
// plain line every few seconds when it is a file or a pipe (logs of a Kubernetes Job).
// Shows done/total, generated tokens per second and the time left at this run's pace.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace hearth::tools {

class ProgressMeter {
 public:
  // done: items already finished before this run (a resumed job); they do not count for pace.
  ProgressMeter(std::string label, int64_t total, int64_t done, bool terminal);
  // Redraws when due (10 times a second on a terminal, every 10 s otherwise).
  void update(int64_t done, int64_t generated_tokens);
  // The last state, always drawn; ends the terminal's line.
  void finish(int64_t done, int64_t generated_tokens);

 private:
  using Clock = std::chrono::steady_clock;
  void draw(int64_t done, int64_t generated_tokens, bool last);

  std::string label_;
  int64_t total_, done_at_start_;
  bool terminal_;
  Clock::time_point start_ = Clock::now(), last_draw_ = Clock::now();
};

// "45s", "3m12s", "2h05m".
std::string format_duration(double seconds);

}  // namespace hearth::tools
