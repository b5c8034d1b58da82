// Test helpers for building model folders on disk: temporary directories, file writes, a
// minimal safetensors writer, and running the hearth binary to check exit codes/messages.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace hearth::test {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hearth_test_XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct RawTensor {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  std::string bytes;
  // When set, written as these data_offsets instead of the packed ones (for corrupt files).
  std::vector<uint64_t> offsets_override;
};

inline std::string make_safetensors(const std::vector<RawTensor>& tensors) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const auto& t : tensors) {
    std::vector<uint64_t> off = {data.size(), data.size() + t.bytes.size()};
    if (!t.offsets_override.empty()) off = t.offsets_override;
    header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", off}};
    data += t.bytes;
  }
  std::string h = header.dump();
  std::string out(8, '\0');
  uint64_t n = h.size();
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + h + data;
}

// Copies the bundled tiny model's files into `dir`.
inline void copy_bundled_model(const std::string& dir) {
  const std::string src = std::string(HEARTH_SOURCE_DIR) + "/models/tiny-qwen3-moe";
  for (const char* f : {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"})
    std::filesystem::copy_file(src + "/" + f, dir + "/" + f, std::filesystem::copy_options::overwrite_existing);
}

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal (a crash)
  std::string output;  // stdout and stderr together
};

inline CommandResult run_hearth(const std::string& args) {
  const std::string cmd = std::string(HEARTH_BINARY) + " " + args + " 2>&1";
  CommandResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace hearth::test
