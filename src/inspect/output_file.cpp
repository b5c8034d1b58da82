// Output path checks and text writing (see output_file.h).
#include "src/inspect/output_file.h"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace hearth {

std::string file_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

Status check_output_path(const std::string& path, const std::vector<std::string>& allowed, const std::string& what) {
  if (path.empty()) return Status::errorf("{} needs a file name", what);
  const std::string ext = file_extension(path);
  bool ok = false;
  std::string list;
  for (const auto& a : allowed) {
    ok = ok || ext == a;
    list += (list.empty() ? "" : ", ") + a;
  }
  if (!ok) return Status::errorf("{} {}: unsupported file type '{}'; expected one of {}", what, path, ext, list);
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return Status::errorf("{} {}: the folder {} does not exist", what, path, dir.string());
  if (access(dir.c_str(), W_OK) != 0)
    return Status::errorf("{} {}: the folder {} is not writable ({})", what, path, dir.string(), std::strerror(errno));
  if (std::filesystem::exists(path, ec) && access(path.c_str(), W_OK) != 0)
    return Status::errorf("{} {}: the file exists and is not writable ({})", what, path, std::strerror(errno));
  return Status::ok();
}

Status write_text_file(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return Status::errorf("cannot write {}: {}", path, std::strerror(errno));
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const int err = errno;
  if (std::fclose(f) != 0 || !ok) {
    std::remove(path.c_str());
    return Status::errorf("writing {} failed: {}", path, std::strerror(ok ? errno : err));
  }
  return Status::ok();
}

}  // namespace hearth
