// The KV cache budget a serving command (batch, serve, bench) takes when the user gives none:
// half the memory the system has available when it starts. The other half stays for the
// weights' page cache, activations and whatever else runs on the machine.
// Not here: parsing sizes such as "4G" (tools/common_options.h), the pool itself (kv_page_pool.h).
#pragma once

#include <cstdint>

namespace hearth {

// MemAvailable from /proc/meminfo (memory the kernel can hand out without swapping, page cache
// included), else the free physical pages sysconf reports; 0 when neither is known.
int64_t available_memory_bytes();

// Half of available_memory_bytes(); 0 when that is unknown.
int64_t default_kv_budget();

}  // namespace hearth
