// Read-only memory mapping of a whole file, or a borrowed span of bytes that lives elsewhere
// (an embedded resource). Either way callers see one contiguous byte span.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "src/base/status.h"

namespace hearth {

class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  static Result<MappedFile> open(const std::string& path);
  // Wraps bytes owned by someone else (must outlive this object).
  static MappedFile borrow(std::span<const uint8_t> bytes, std::string name);

  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

  // Gives the resident pages wholly inside [p, p + n) back to the kernel (a mapped file only:
  // they are re-read from the file if touched again). For bytes copied elsewhere at load.
  void drop_resident(const uint8_t* p, size_t n) const;

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool owned_ = false;
  std::string path_;
};

// Reads a whole (small) text file; the error names the path.
Result<std::string> read_text_file(const std::string& path);

}  // namespace hearth
