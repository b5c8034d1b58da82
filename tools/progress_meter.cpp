#include "tools/progress_meter.h"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

namespace hearth::tools {

std::string format_duration(double seconds) {
  const auto s = static_cast<int64_t>(seconds + 0.5);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, s / 60 % 60);
}

ProgressMeter::ProgressMeter(std::string label, int64_t total, int64_t done, bool terminal)
    : label_(std::move(label)), total_(total), done_at_start_(done), terminal_(terminal) {}

void ProgressMeter::update(int64_t done, int64_t generated_tokens) {
  const auto now = Clock::now();
  if (now - last_draw_ < (terminal_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(10000))) return;
  last_draw_ = now;
  draw(done, generated_tokens, false);
}

void ProgressMeter::finish(int64_t done, int64_t generated_tokens) { draw(done, generated_tokens, true); }

void ProgressMeter::draw(int64_t done, int64_t generated_tokens, bool last) {
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  const int64_t done_now = done - done_at_start_;
  const double tokens_per_s = elapsed > 0 ? generated_tokens / elapsed : 0.0;
  std::string eta = "--";
  if (done >= total_) {
    eta = "0s";
  } else if (done_now > 0) {
    eta = format_duration(static_cast<double>(total_ - done) * elapsed / static_cast<double>(done_now));
  }
  const double fraction = total_ > 0 ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  const std::string figures = fmt::format("{}/{} ({:.0f}%)  {:.1f} tok/s  {} {}", done, total_, 100 * fraction,
                                          tokens_per_s, last ? "in" : "ETA",
                                          last ? format_duration(elapsed) : eta);
  if (terminal_) {
    constexpr int kWidth = 30;
    const int filled = std::clamp(static_cast<int>(fraction * kWidth), 0, kWidth);
    std::fprintf(stderr, "\r%s [%s%s] %s\033[K%s", label_.c_str(), std::string(static_cast<size_t>(filled), '#').c_str(),
                 std::string(static_cast<size_t>(kWidth - filled), '.').c_str(), figures.c_str(), last ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s: %s\n", label_.c_str(), figures.c_str());
  }
  std::fflush(stderr);
}

}  // namespace hearth::tools
