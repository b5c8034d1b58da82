#include "src/base/log.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace hearth::log {
namespace {

Level level_from_env() {
  const char* v = std::getenv("HEARTH_LOG");
  if (!v) return Level::kWarn;
  if (!std::strcmp(v, "debug")) return Level::kDebug;
  if (!std::strcmp(v, "info")) return Level::kInfo;
  if (!std::strcmp(v, "error")) return Level::kError;
  if (!std::strcmp(v, "off")) return Level::kOff;
  return Level::kWarn;
}

std::atomic<Level>& current() {
  static std::atomic<Level> lvl{level_from_env()};
  return lvl;
}

}  // namespace

Level level() { return current().load(std::memory_order_relaxed); }
void set_level(Level l) { current().store(l); }

void write(Level l, const std::string& message) {
  static const char* kNames[] = {"debug", "info", "warn", "error"};
  std::fprintf(stderr, "[hearth %s] %s\n", kNames[static_cast<int>(l)], message.c_str());
}

}  // namespace hearth::log
