#include "src/engine/kv_budget.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace hearth {

int64_t available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line))  // "MemAvailable:   12345678 kB"
    if (line.rfind("MemAvailable:", 0) == 0) return std::strtoll(line.c_str() + 13, nullptr, 10) * 1024;
  const long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<int64_t>(pages) * page : 0;
}

int64_t default_kv_budget() { return available_memory_bytes() / 2; }

}  // namespace hearth
