// The .hearth container, byte for byte (docs/FORMAT.md is the prose version): a 64-byte
// header, a metadata block (JSON text), a binary tensor table, then 64-byte aligned tensor
// data. This file holds the layout constants, the table entry, and the two pure functions
// every reader and writer share: encode_index (header + metadata + table -> bytes) and
// parse_index (bytes -> validated index). parse_index is also the fuzzing surface.
// Not here: mapping files (hearth_file.h), writing them safely (hearth_file_writer.h).
//
// Header (little endian):
//   [0,8)   magic "HEARTH\0\x1a"        [8,10) major version  [10,12) minor version
//   [12,16) header bytes (64)           [16,24) metadata offset (64) [24,32) metadata bytes
//   [32,40) table offset                [40,48) table bytes           [48,56) data offset
//   [56,64) XXH64 of bytes [64, table offset + table bytes)  (metadata and table)
// Table: u32 n_tensors, u32 0, then per tensor:
//   u16 name bytes, name (UTF-8), u8 format (quant/format.h id), u8 ndim (1..8),
//   i64 dims[ndim] (outermost first), u64 offset (absolute), u64 bytes, u64 XXH64 of the
//   bytes, f32 relative RMSE, f32 max abs error (both 0 for lossless copies).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "quant/format.h"
#include "src/base/status.h"

namespace hearth {

inline constexpr char kHearthMagic[8] = {'H', 'E', 'A', 'R', 'T', 'H', '\0', '\x1a'};
inline constexpr uint16_t kHearthMajor = 1;  // readers refuse files with a larger major
inline constexpr uint16_t kHearthMinor = 0;  // additions readers may ignore
inline constexpr uint64_t kHearthHeaderBytes = 64;
inline constexpr uint64_t kHearthAlign = 64;  // every tensor's offset is a multiple of this
inline constexpr int kHearthMaxDims = 8;

struct HearthTensorEntry {
  std::string name;
  Format format = Format::kF32;
  std::vector<int64_t> shape;
  uint64_t offset = 0;  // from the start of the file
  uint64_t nbytes = 0;
  uint64_t checksum = 0;   // XXH64 of the tensor bytes
  float rel_rmse = 0;      // measured against the source at conversion
  float max_abs = 0;
};

struct HearthIndex {
  uint16_t major = kHearthMajor, minor = kHearthMinor;
  std::string metadata_text;  // the JSON block, verbatim
  uint64_t data_offset = 0;
  std::vector<HearthTensorEntry> tensors;  // in file order
};

// Bytes of the table for these entries (offsets/formats may still change; the size won't).
uint64_t index_table_bytes(const std::vector<HearthTensorEntry>& entries);

// Header + metadata + table, padded to a multiple of kHearthAlign: the file's first bytes.
// Offsets in `entries` must already be final.
std::vector<uint8_t> encode_index(const std::string& metadata_text,
                                  const std::vector<HearthTensorEntry>& entries);

// Validates everything but the tensor bytes: magic, version (a newer major is refused),
// sizes and offsets inside `file_size`, table syntax, known formats, shapes whose element
// count matches the byte size of the format, 64-byte alignment, no overlapping tensors, no
// duplicate names. `bytes` must hold at least the header, metadata and table (typically the
// whole mapped file). check_index_checksum false skips the XXH64 of metadata + table (fuzzing).
Result<HearthIndex> parse_index(std::span<const uint8_t> bytes, uint64_t file_size,
                                const std::string& name, bool check_index_checksum = true);

}  // namespace hearth
