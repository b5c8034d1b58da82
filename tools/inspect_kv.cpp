// `hearth inspect --kv N[,N...] PATH`: what the KV cache of the model PATH describes (a
// config.json, a Hugging Face folder or a .hearth file; no weights are read) takes at N
// positions of one sequence, in each cache precision, next to a plain multi-head cache.
// The bytes come from KvCache itself (the allocator's page size times its row bytes), so
// they are what `hearth generate --kv ...` would allocate.
#include "tools/inspect_kv.h"

#include <cstdio>
#include <filesystem>

#include "models/registry.h"
#include "src/base/mapped_file.h"
#include "src/io/hearth_file.h"
#include "src/model/kv_cache.h"
#include "tools/command.h"

namespace hearth::tools {
namespace {

Result<nlohmann::json> read_config(const std::string& path) {
  namespace fs = std::filesystem;
  if (fs::is_directory(path)) return read_config((fs::path(path) / "config.json").string());
  if (!fs::exists(path)) return Status::errorf("{}: no such file or directory", path);
  if (path.ends_with(".hearth")) {
    auto file = HearthFile::open(path);
    HEARTH_TRY(file);
    return (*file)->config();
  }
  auto text = read_text_file(path);
  HEARTH_TRY(text);
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::errorf("{}: not a JSON object", path);
  return j;
}

std::string human(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = double(bytes);
  int u = 0;
  for (; v >= 1024 && u < 4; ++u) v /= 1024;
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.2f} {}", v, units[u]);
}

}  // namespace

int run_inspect_kv(const std::string& path, const std::vector<int64_t>& positions, bool json) {
  auto config = read_config(path);
  if (!config) return fail("inspect", config.message());
  auto plan = models::kv_plan(*config, path);
  if (!plan) return fail("inspect", plan.message());
  const int64_t n_layer = static_cast<int64_t>(plan->cached.k_width.size());
  nlohmann::json out = {{"model", path}, {"layers", n_layer}, {"form", plan->form}, {"modes", nlohmann::json::array()}};
  if (!json) {
    std::printf("model       %s\nKV cache    %s, %lld layers; values per position and layer: %lld cached, %lld for "
                "plain multi-head attention\n",
                path.c_str(), plan->form.c_str(), static_cast<long long>(n_layer),
                static_cast<long long>(plan->cached.k_width[0] + plan->cached.v_width[0]),
                static_cast<long long>(plan->mha.k_width[0] + plan->mha.v_width[0]));
    std::printf("%-6s %-14s %16s", "kv", "cache", "bytes/position");
    for (int64_t n : positions) std::printf(" %22s", fmt::format("{} positions", n).c_str());
    std::printf("\n");
  }
  for (KvPrecision p : kKvPrecisions) {
    const KvCache cached(plan->cached, p), mha(plan->mha, p);
    for (const auto& [label, cache] : {std::pair<const char*, const KvCache*>{"this model", &cached}, {"plain MHA", &mha}}) {
      nlohmann::json row = {{"kv", kv_precision_name(p)}, {"cache", label}, {"bytes_per_position", cache->bytes_per_token()},
                            {"bytes", nlohmann::json::object()}};
      if (!json) std::printf("%-6s %-14s %16lld", std::string(kv_precision_name(p)).c_str(), label,
                             static_cast<long long>(cache->bytes_per_token()));
      for (int64_t n : positions) {
        const int64_t bytes = cache->bytes_for_positions(n);
        row["bytes"][std::to_string(n)] = bytes;
        if (!json) std::printf(" %22s", fmt::format("{} ({})", bytes, human(bytes)).c_str());
      }
      if (!json) std::printf("\n");
      out["modes"].push_back(row);
    }
  }
  if (json) std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

}  // namespace hearth::tools
