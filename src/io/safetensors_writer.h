// Writer of the safetensors format (the layout safetensors.h reads): an 8-byte little-endian
// header length, the JSON header {name: {dtype, shape, data_offsets: [begin, end]},
// "__metadata__": {...}} padded with spaces to a multiple of 8 bytes, then the tensors' bytes
// back to back in the order given (offsets contiguous, no alignment between tensors).
// The file appears whole or not at all: bytes go to a temporary file beside the destination,
// renamed over it by finish() (temp_file.h); a failed or abandoned write leaves no file.
// Not here: reading (safetensors.h), converting values between dtypes, sharded checkpoints.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "src/base/status.h"
#include "src/io/temp_file.h"

namespace hearth {

struct SafetensorsTensorInfo {
  std::string name;
  std::string dtype;           // as in the header: F32, F16, BF16, I64, U8, ... (safetensors_dtype_bytes)
  std::vector<int64_t> shape;  // {} is a scalar; a 0 dimension makes an empty tensor
};

// Streams the data section: the header is fixed by create(), the tensors' bytes follow through
// append() in the order declared, in chunks of any size.
class SafetensorsWriter {
 public:
  // Checks the list (known dtypes, non-negative dimensions, unique names, none named
  // "__metadata__"), creates the temporary file and writes the header. metadata becomes
  // "__metadata__" (left out when empty). Errors: a bad list, an unwritable folder, a
  // destination that is a folder.
  static Result<std::unique_ptr<SafetensorsWriter>> create(const std::string& path,
                                                           const std::vector<SafetensorsTensorInfo>& tensors,
                                                           const std::map<std::string, std::string>& metadata = {});
  ~SafetensorsWriter();  // removes the temporary file unless finish() succeeded
  SafetensorsWriter(const SafetensorsWriter&) = delete;
  SafetensorsWriter& operator=(const SafetensorsWriter&) = delete;

  // The next nbytes of the data section. Errors: more bytes than the tensors hold, a failed write.
  Status append(const void* data, size_t nbytes);
  // Checks every byte was appended, syncs and renames the temporary file to the destination.
  Status finish();

  uint64_t tensor_bytes(size_t i) const { return tensor_bytes_[i]; }  // tensor i of the list
  uint64_t data_bytes() const { return data_bytes_; }                 // the whole data section
  uint64_t data_written() const { return written_; }
  const std::string& temp_path() const { return temp_.path; }

 private:
  SafetensorsWriter() = default;
  Status write_all(const void* data, size_t n);
  void remove_temp();

  std::string path_;
  TempFile temp_;
  std::vector<uint64_t> tensor_bytes_;
  uint64_t data_bytes_ = 0, written_ = 0;
  bool done_ = false;
};

// A whole tensor in memory: its description and its bytes (numel x dtype size of them).
struct SafetensorsTensor {
  SafetensorsTensorInfo info;
  std::span<const uint8_t> bytes;
};

// Writes the tensors in the order given. Errors: those of SafetensorsWriter, and a tensor whose
// byte count does not match its shape and dtype.
Status write_safetensors(const std::string& path, std::span<const SafetensorsTensor> tensors,
                         const std::map<std::string, std::string>& metadata = {});

}  // namespace hearth
