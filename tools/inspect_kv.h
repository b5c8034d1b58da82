// The KV cache memory report of `hearth inspect --kv` (see inspect_kv.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hearth::tools {

int run_inspect_kv(const std::string& path, const std::vector<int64_t>& positions, bool json);

}  // namespace hearth::tools
