#include "src/convert/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

namespace hearth::convert {

Progress::Progress(std::string label, std::string unit, double scale, bool enabled)
    : label_(std::move(label)), unit_(std::move(unit)), scale_(scale), enabled_(enabled),
      tty_(isatty(STDERR_FILENO) != 0), start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

void Progress::update(double done, double total, const std::string& note) {
  if (!enabled_ || total <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double since = std::chrono::duration<double>(now - last_draw_).count();
  const double frac = std::clamp(done / total, 0.0, 1.0);
  const int decile = static_cast<int>(frac * 10);
  if (tty_ ? (since < 0.1 && frac < 1.0) : (decile == last_decile_ && since < 10.0)) return;
  last_draw_ = now;
  last_decile_ = decile;
  const double rate = elapsed > 0 ? done / scale_ / elapsed : 0;
  const double eta = done > 0 ? elapsed * (total - done) / done : 0;
  const std::string stats = fmt::format("{:.1f}/{:.1f} {} {:.1f} {}/s ETA {:.0f}s {}", done / scale_,
                                        total / scale_, unit_, rate, unit_, eta, note);
  if (tty_) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(frac * kWidth);
    std::fprintf(stderr, "\r%s [%s%s] %3.0f%% %s\x1b[K", label_.c_str(), std::string(filled, '#').c_str(),
                 std::string(kWidth - filled, '.').c_str(), frac * 100, stats.c_str());
    drawn_ = true;
  } else {
    std::fprintf(stderr, "%s: %3.0f%% %s\n", label_.c_str(), frac * 100, stats.c_str());
  }
  std::fflush(stderr);
}

void Progress::finish() {
  if (enabled_ && tty_ && drawn_) std::fprintf(stderr, "\n");
  drawn_ = false;
}

}  // namespace hearth::convert
