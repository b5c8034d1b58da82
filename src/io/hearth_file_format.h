// The .hearth container, byte for byte (docs/FORMAT.md is the prose version): a 64-byte
// header, the metadata block (JSON text, zstd-compressed), 64-byte aligned tensor data, and the
// binary tensor table (zstd-compressed) after the data, where the writer can put it once every
// tensor's checksum is known. This file holds the layout constants, the table entry, the
// encoders the writer uses, and parse_index (bytes -> validated index), also the fuzzing
// surface.
// Not here: mapping files (hearth_file.h), writing them safely (hearth_file_writer.h).
//
// Header (little endian):
//   [0,8)   magic "HEARTH\0\x1a"        [8,10) major version  [10,12) minor version
//   [12,16) header bytes (64)           [16,24) metadata offset (64) [24,32) metadata bytes
//   [32,40) table offset                [40,48) table bytes           [48,56) data offset
//   [56,64) XXH64 of the table block, seeded with the XXH64 of the metadata block (both as
//           stored, compressed)
// Metadata block: one zstd frame (with its content size) of the JSON text.
// Data: from the data offset = the first multiple of 64 after the metadata block; every
//   tensor starts at a multiple of 64 and lies before the table.
// Table block: one zstd frame of: u32 n_tensors, u32 0, then per tensor:
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
inline constexpr uint16_t kHearthMajor = 2;  // readers refuse other majors (1: uncompressed index)
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
  std::string metadata_text;  // the JSON block, decompressed
  uint64_t data_offset = 0;
  uint64_t table_offset = 0;
  uint64_t metadata_block_bytes = 0, table_block_bytes = 0;  // as stored (compressed)
  std::vector<HearthTensorEntry> tensors;  // in file order
};

// The stored (compressed) metadata and table blocks.
std::vector<uint8_t> encode_metadata_block(const std::string& metadata_text);
std::vector<uint8_t> encode_table_block(const std::vector<HearthTensorEntry>& entries);

// Where tensor data starts after a metadata block of this many bytes.
uint64_t data_offset_after(uint64_t metadata_block_bytes);

// Header + metadata block, zero-padded to the data offset: the file's first bytes. The table
// block goes at table_offset (at or after the end of the last tensor).
std::vector<uint8_t> encode_head(const std::vector<uint8_t>& metadata_block, uint64_t table_offset,
                                 const std::vector<uint8_t>& table_block);

// Validates everything but the tensor bytes: magic, version (another major is refused), sizes
// and offsets inside `file_size`, the compressed blocks (bounded sizes), table syntax, known
// formats, shapes whose element count matches the byte size of the format, 64-byte alignment,
// tensors between the data offset and the table, no overlaps, no duplicate names. `bytes` must
// hold the whole file (typically the mapping). check_index_checksum false skips the XXH64 of
// the blocks (fuzzing).
Result<HearthIndex> parse_index(std::span<const uint8_t> bytes, uint64_t file_size,
                                const std::string& name, bool check_index_checksum = true);

}  // namespace hearth
