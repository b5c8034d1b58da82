// `hearth inspect FILE [--verify] [--json]`: a .hearth file's header, metadata, per-tensor
// format, bits per weight and stored quantization error, and its size; --verify recomputes
// every tensor's checksum (non-zero exit on a mismatch). `--kv N[,N...]` reports the KV cache
// memory instead (tools/inspect_kv.cpp); PATH may then also be a config.json or a folder.
#include <cstdio>
#include <memory>

#include "src/convert/progress.h"
#include "src/io/hearth_file.h"
#include "tools/command.h"
#include "tools/inspect_kv.h"

namespace hearth::tools {
namespace {

struct InspectArgs {
  std::string path;
  bool verify = false;
  bool tensors = true;
  std::vector<int64_t> kv_positions;
  bool json = false;
};

int run_inspect(const InspectArgs& a) {
  if (!a.kv_positions.empty()) return run_inspect_kv(a.path, a.kv_positions, a.json);
  auto file = HearthFile::open(a.path);
  if (!file) return fail("inspect", file.message());
  const HearthFile& f = **file;
  const HearthIndex& idx = f.index();
  const nlohmann::json& m = f.metadata();
  std::printf("file        %s\n", a.path.c_str());
  std::printf("format      .hearth %u.%u, %zu tensors, data from byte %llu, index %llu + %llu bytes "
              "(zstd: metadata %zu bytes as text), validated in %.2f ms\n",
              idx.major, idx.minor, idx.tensors.size(), static_cast<unsigned long long>(idx.data_offset),
              static_cast<unsigned long long>(idx.metadata_block_bytes),
              static_cast<unsigned long long>(idx.table_block_bytes), idx.metadata_text.size(),
              f.load_seconds() * 1e3);
  auto show = [&m](const char* label, const char* key) {
    if (m.contains(key)) std::printf("%-11s %s\n", label, m[key].dump().c_str());
  };
  show("arch", "architecture");
  show("converter", "converter");
  show("quant", "quantization");
  if (m.contains("source")) {
    for (const auto& s : m["source"].value("files", nlohmann::json::array()))
      std::printf("source      %s %s bytes xxh64 %s\n", s.value("name", "?").c_str(),
                  s.value("bytes", nlohmann::json(0)).dump().c_str(), s.value("xxh64", "?").c_str());
  }
  std::printf("tokenizer   %zu bytes of tokenizer.json, %zu of tokenizer_config.json; metadata keys:",
              f.tokenizer_json().size(), f.tokenizer_config_json().size());
  for (const auto& [k, v] : m.items()) std::printf(" %s", k.c_str());
  std::printf("\n");
  uint64_t tensor_bytes = 0;
  int64_t params = 0;
  if (a.tensors)
    std::printf("%-58s %-8s %-16s %7s %11s %10s %10s\n", "tensor", "format", "shape", "bpw", "bytes",
                "rel_rmse", "max_abs");
  for (const auto& e : idx.tensors) {
    int64_t n = 1;
    for (int64_t d : e.shape) n *= d;
    params += n;
    tensor_bytes += e.nbytes;
    if (!a.tensors) continue;
    std::string shape;
    for (size_t i = 0; i < e.shape.size(); ++i) shape += (i ? "x" : "") + std::to_string(e.shape[i]);
    std::printf("%-58s %-8s %-16s %7.3f %11llu %10.3e %10.3e\n", e.name.c_str(),
                std::string(format_traits(e.format).name).c_str(), shape.c_str(),
                format_traits(e.format).bits_per_weight(), static_cast<unsigned long long>(e.nbytes),
                e.rel_rmse, e.max_abs);
  }
  std::printf("total       %lld params, %llu tensor bytes (%.3f bpw), file %llu bytes (%.2f%% overhead)\n",
              static_cast<long long>(params), static_cast<unsigned long long>(tensor_bytes),
              8.0 * double(tensor_bytes) / double(std::max<int64_t>(params, 1)),
              static_cast<unsigned long long>(f.file_size()),
              tensor_bytes ? 100.0 * (double(f.file_size()) / double(tensor_bytes) - 1.0) : 0.0);
  if (a.verify) {
    convert::Progress bar("verify", "MB", 1e6);
    Status s = f.verify_checksums([&bar](uint64_t d, uint64_t t) { bar.update(double(d), double(t)); });
    bar.finish();
    if (!s) return fail("inspect", s.message());
    std::printf("checksums   all %zu tensors match (XXH64)\n", idx.tensors.size());
  }
  return 0;
}

const CommandRegistration kRegistration({
    "inspect",
    "Show a .hearth file's metadata, tensors, formats and stored quantization error",
    [](CLI::App& app) {
      auto a = std::make_shared<InspectArgs>();
      app.add_option("file", a->path, "The .hearth file (with --kv: also a config.json or a model folder)")->required();
      app.add_option("--kv", a->kv_positions, "Report the KV cache bytes of one sequence of N positions (comma-"
                     "separated list), per cache precision, against a plain multi-head cache")
          ->delimiter(',')->check(CLI::PositiveNumber);
      app.add_flag("--json", a->json, "With --kv: print the report as JSON");
      app.add_flag("--verify", a->verify, "Recompute every tensor's checksum");
      app.add_flag("!--no-tensors", a->tensors, "Omit the per-tensor table");
      return [a] { return run_inspect(*a); };
    }});

}  // namespace
}  // namespace hearth::tools
