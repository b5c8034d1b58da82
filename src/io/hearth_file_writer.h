// Writing a .hearth file safely: everything goes to a temporary file in the destination's
// folder, which is renamed over the destination only after the last byte and the index are
// written and synced. A failed, abandoned or interrupted (SIGINT/SIGTERM, after
// install_signal_cleanup) write leaves no file behind. Tensors are streamed one at a time.
// Not here: choosing formats or quantizing (src/convert/), the layout itself
// (hearth_file_format.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "src/io/hearth_file_format.h"
#include "src/io/temp_file.h"  // install_signal_cleanup

namespace hearth {

class HearthFileWriter {
 public:
  // Creates the temporary file and reserves room for the header and the (compressed)
  // metadata. `entries` fixes the names, order and shapes of the tensors (formats may still
  // change; the table is written after the data by finish()). Errors: unwritable folder, a destination that is a folder.
  static Result<std::unique_ptr<HearthFileWriter>> create(const std::string& path,
                                                          std::string metadata_text,
                                                          std::vector<HearthTensorEntry> entries);
  ~HearthFileWriter();  // removes the temporary file unless finish() succeeded
  HearthFileWriter(const HearthFileWriter&) = delete;
  HearthFileWriter& operator=(const HearthFileWriter&) = delete;

  // Writes tensor i (in order: 0, 1, ...) in format f; data holds format_bytes(f, numel).
  Status write_tensor(size_t i, Format f, const void* data, size_t nbytes, float rel_rmse,
                      float max_abs);
  // Writes the index, syncs and renames the temporary file to the destination.
  Status finish();

  const std::vector<HearthTensorEntry>& entries() const { return entries_; }
  const std::string& temp_path() const { return temp_path_; }
  uint64_t bytes_written() const { return cursor_; }

 private:
  HearthFileWriter() = default;
  Status write_at(uint64_t offset, const void* data, size_t n);
  void remove_temp();

  std::string path_, temp_path_;
  std::vector<uint8_t> metadata_block_;  // compressed at create()
  std::vector<HearthTensorEntry> entries_;
  int fd_ = -1;
  uint64_t cursor_ = 0;
  size_t next_ = 0;
  bool done_ = false;
};

}  // namespace hearth
