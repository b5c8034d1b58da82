// Encoding and validating the .hearth header and tensor table (layout: hearth_file_format.h).
// Every read is bounds-checked against the bytes given; every size is checked for overflow
// before it is used, because the input is an untrusted file.
#include "src/io/hearth_file_format.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

#include <zstd.h>

#include "src/io/hearth_file_checksum.h"

namespace hearth {
namespace {

constexpr uint64_t kTableHeadBytes = 8;
// zstd level 19: the index is compressed once at conversion and is small; decompressing is
// equally fast at any level.
constexpr int kZstdLevel = 19;
// Untrusted frames: a block may claim at most this many bytes, and at most this ratio to its
// stored size (real metadata compresses about 4x, tables about 5x).
constexpr uint64_t kMaxBlockBytes = uint64_t{256} << 20;
constexpr uint64_t kMaxBlockRatio = 1024;

std::vector<uint8_t> compress(const void* data, size_t n) {
  std::vector<uint8_t> out(ZSTD_compressBound(n));
  const size_t k = ZSTD_compress(out.data(), out.size(), data, n, kZstdLevel);
  HEARTH_CHECK(!ZSTD_isError(k), "zstd: {}", ZSTD_getErrorName(k));
  out.resize(k);
  return out;
}

Result<std::string> decompress(const uint8_t* p, uint64_t n, const char* what) {
  const unsigned long long size = ZSTD_getFrameContentSize(p, n);
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN)
    return Status::errorf("the {} block is not a zstd frame with a known size", what);
  if (size > kMaxBlockBytes || size > kMaxBlockRatio * n + 4096)
    return Status::errorf("the {} block claims {} bytes from {} stored", what, size, n);
  std::string out(size, '\0');
  const size_t k = ZSTD_decompress(out.data(), out.size(), p, n);
  if (ZSTD_isError(k) || k != size)
    return Status::errorf("the {} block does not decompress ({})", what,
                          ZSTD_isError(k) ? ZSTD_getErrorName(k) : "size differs from its header");
  return out;
}

uint64_t blocks_checksum(const uint8_t* meta, uint64_t meta_n, const uint8_t* table, uint64_t table_n) {
  return xxh64(table, table_n, xxh64(meta, meta_n));
}

template <typename T>
void put(std::vector<uint8_t>& out, T v) {
  const size_t at = out.size();
  out.resize(at + sizeof(T));
  std::memcpy(out.data() + at, &v, sizeof(T));
}

// Sequential reader over an untrusted byte range; the first failure sticks.
class Cursor {
 public:
  Cursor(const uint8_t* p, uint64_t n) : p_(p), n_(n) {}
  template <typename T>
  bool get(T& v) {
    if (n_ - at_ < sizeof(T)) return false;
    std::memcpy(&v, p_ + at_, sizeof(T));
    at_ += sizeof(T);
    return true;
  }
  bool get_string(size_t len, std::string& s) {
    if (n_ - at_ < len) return false;
    s.assign(reinterpret_cast<const char*>(p_ + at_), len);
    at_ += len;
    return true;
  }
  uint64_t remaining() const { return n_ - at_; }

 private:
  const uint8_t* p_;
  uint64_t n_;
  uint64_t at_ = 0;
};

uint64_t align_up(uint64_t v) { return (v + kHearthAlign - 1) / kHearthAlign * kHearthAlign; }

Status check_entry(const HearthTensorEntry& e, uint64_t data_offset, uint64_t data_end) {
  const FormatTraits& t = format_traits(e.format);
  // Element count without overflow: every dim in [1, 2^40], product below 2^53.
  uint64_t numel = 1;
  for (int64_t d : e.shape) {
    if (d <= 0 || d > (int64_t{1} << 40))
      return Status::errorf("tensor '{}' has dimension {} (expected 1 .. 2^40)", e.name, d);
    if (numel > (uint64_t{1} << 53) / static_cast<uint64_t>(d))
      return Status::errorf("tensor '{}' has more than 2^53 elements", e.name);
    numel *= static_cast<uint64_t>(d);
  }
  const auto cols = static_cast<uint64_t>(e.shape.back());
  if (cols % t.block_elements != 0)
    return Status::errorf("tensor '{}': row length {} is not a multiple of {}'s block of {}",
                          e.name, cols, t.name, t.block_elements);
  const uint64_t expect = format_bytes(e.format, numel);
  if (e.nbytes != expect)
    return Status::errorf("tensor '{}': table says {} bytes but {} of {} elements needs {}",
                          e.name, e.nbytes, t.name, numel, expect);
  if (e.offset % kHearthAlign != 0)
    return Status::errorf("tensor '{}': offset {} is not {}-byte aligned", e.name, e.offset,
                          kHearthAlign);
  if (e.offset < data_offset || e.offset > data_end || e.nbytes > data_end - e.offset)
    return Status::errorf("tensor '{}': bytes [{}, {}) lie outside the data region [{}, {}) "
                          "(truncated or corrupt file; convert it again)",
                          e.name, e.offset, e.offset + e.nbytes, data_offset, data_end);
  return Status::ok();
}

}  // namespace

std::vector<uint8_t> encode_metadata_block(const std::string& metadata_text) {
  return compress(metadata_text.data(), metadata_text.size());
}

std::vector<uint8_t> encode_table_block(const std::vector<HearthTensorEntry>& entries) {
  std::vector<uint8_t> out;
  put<uint32_t>(out, static_cast<uint32_t>(entries.size()));
  put<uint32_t>(out, 0);
  for (const auto& e : entries) {
    HEARTH_CHECK(e.name.size() <= UINT16_MAX && !e.shape.empty() && e.shape.size() <= kHearthMaxDims);
    put<uint16_t>(out, static_cast<uint16_t>(e.name.size()));
    out.insert(out.end(), e.name.begin(), e.name.end());
    put<uint8_t>(out, static_cast<uint8_t>(e.format));
    put<uint8_t>(out, static_cast<uint8_t>(e.shape.size()));
    for (int64_t d : e.shape) put<int64_t>(out, d);
    put<uint64_t>(out, e.offset);
    put<uint64_t>(out, e.nbytes);
    put<uint64_t>(out, e.checksum);
    put<float>(out, e.rel_rmse);
    put<float>(out, e.max_abs);
  }
  return compress(out.data(), out.size());
}

uint64_t data_offset_after(uint64_t metadata_block_bytes) {
  return align_up(kHearthHeaderBytes + metadata_block_bytes);
}

std::vector<uint8_t> encode_head(const std::vector<uint8_t>& metadata_block, uint64_t table_offset,
                                 const std::vector<uint8_t>& table_block) {
  const uint64_t data_offset = data_offset_after(metadata_block.size());
  HEARTH_CHECK(table_offset >= data_offset, "the table must follow the data");
  std::vector<uint8_t> out(data_offset, 0);
  std::memcpy(out.data() + kHearthHeaderBytes, metadata_block.data(), metadata_block.size());
  uint8_t* h = out.data();
  std::memcpy(h, kHearthMagic, 8);
  const uint16_t ver[2] = {kHearthMajor, kHearthMinor};
  std::memcpy(h + 8, ver, 4);
  const uint32_t header_bytes = kHearthHeaderBytes;
  std::memcpy(h + 12, &header_bytes, 4);
  const uint64_t fields[6] = {kHearthHeaderBytes, metadata_block.size(), table_offset, table_block.size(),
                              data_offset,
                              blocks_checksum(metadata_block.data(), metadata_block.size(),
                                              table_block.data(), table_block.size())};
  std::memcpy(h + 16, fields, sizeof(fields));
  return out;
}

Result<HearthIndex> parse_index(std::span<const uint8_t> bytes, uint64_t file_size,
                                const std::string& name, bool check_index_checksum) {
  auto fail = [&name](const std::string& what) {
    return Status::errorf("{}: not a valid .hearth file: {}", name, what);
  };
  if (bytes.size() < kHearthHeaderBytes || file_size < kHearthHeaderBytes)
    return fail(fmt::format("{} bytes is shorter than the {}-byte header (truncated?)",
                            std::min<uint64_t>(bytes.size(), file_size), kHearthHeaderBytes));
  const uint8_t* h = bytes.data();
  if (std::memcmp(h, kHearthMagic, 8) != 0)
    return fail("the magic bytes are wrong (expected a file written by 'hearth convert')");
  HearthIndex idx;
  std::memcpy(&idx.major, h + 8, 2);
  std::memcpy(&idx.minor, h + 10, 2);
  if (idx.major > kHearthMajor)
    return Status::errorf("{}: written in .hearth format {}.{}, but this build of hearth reads "
                          "format {}.x; upgrade hearth (or convert the model again "
                          "with this version)", name, idx.major, idx.minor, kHearthMajor);
  if (idx.major < kHearthMajor)
    return Status::errorf("{}: written in .hearth format {}.{} by an earlier hearth; this build "
                          "reads format {}.x: convert the model again", name, idx.major, idx.minor,
                          kHearthMajor);
  uint32_t header_bytes = 0;
  std::memcpy(&header_bytes, h + 12, 4);
  uint64_t f[6];  // metadata offset, metadata bytes, table offset, table bytes, data offset, sum
  std::memcpy(f, h + 16, sizeof(f));
  const uint64_t limit = std::min<uint64_t>(bytes.size(), file_size);
  if (header_bytes != kHearthHeaderBytes || f[0] != kHearthHeaderBytes)
    return fail(fmt::format("header size {} / metadata offset {} (expected 64 / 64)", header_bytes, f[0]));
  if (f[1] > limit - f[0] || f[2] > limit || f[3] > limit - f[2])
    return fail(fmt::format("metadata [{}, +{}) or table [{}, +{}) lies outside the file's {} "
                            "bytes (truncated?)", f[0], f[1], f[2], f[3], file_size));
  if (f[4] != data_offset_after(f[1]) || f[4] > f[2])
    return fail(fmt::format("data offset {} (expected {}, at or before the table at {})", f[4],
                            data_offset_after(f[1]), f[2]));
  if (check_index_checksum && blocks_checksum(h + f[0], f[1], h + f[2], f[3]) != f[5])
    return fail("the checksum of the metadata and tensor table does not match (corrupt file)");
  auto meta = decompress(h + f[0], f[1], "metadata");
  if (!meta) return fail(meta.message());
  auto table = decompress(h + f[2], f[3], "tensor table");
  if (!table) return fail(table.message());
  idx.metadata_text = std::move(meta.value());
  idx.data_offset = f[4];
  idx.table_offset = f[2];
  idx.metadata_block_bytes = f[1];
  idx.table_block_bytes = f[3];

  Cursor c(reinterpret_cast<const uint8_t*>(table->data()), table->size());
  uint32_t n = 0, reserved = 0;
  c.get(n);
  c.get(reserved);
  if (n > c.remaining() / 36) return fail(fmt::format("table claims {} tensors", n));
  idx.tensors.reserve(n);
  std::set<std::string> names;
  for (uint32_t i = 0; i < n; ++i) {
    HearthTensorEntry e;
    uint16_t len = 0;
    uint8_t fmt_id = 0, ndim = 0;
    if (!c.get(len) || !c.get_string(len, e.name) || !c.get(fmt_id) || !c.get(ndim))
      return fail(fmt::format("table entry {} is cut short", i));
    if (fmt_id >= static_cast<uint8_t>(Format::kCount))
      return fail(fmt::format("tensor '{}' has format id {}, unknown to this build (written by "
                              "a newer hearth? upgrade hearth)", e.name, fmt_id));
    if (ndim < 1 || ndim > kHearthMaxDims)
      return fail(fmt::format("tensor '{}' has {} dimensions (expected 1..{})", e.name, ndim, kHearthMaxDims));
    e.format = static_cast<Format>(fmt_id);
    e.shape.resize(ndim);
    for (auto& d : e.shape)
      if (!c.get(d)) return fail(fmt::format("table entry '{}' is cut short", e.name));
    if (!c.get(e.offset) || !c.get(e.nbytes) || !c.get(e.checksum) || !c.get(e.rel_rmse) ||
        !c.get(e.max_abs))
      return fail(fmt::format("table entry '{}' is cut short", e.name));
    if (!names.insert(e.name).second) return fail(fmt::format("tensor '{}' appears twice", e.name));
    if (Status s = check_entry(e, idx.data_offset, idx.table_offset); !s) return fail(s.message());
    idx.tensors.push_back(std::move(e));
  }
  if (c.remaining() != 0) return fail(fmt::format("{} unexplained bytes after the table", c.remaining()));

  std::vector<const HearthTensorEntry*> by_offset;
  for (const auto& e : idx.tensors) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(),
            [](auto* a, auto* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i)
    if (by_offset[i - 1]->offset + by_offset[i - 1]->nbytes > by_offset[i]->offset)
      return fail(fmt::format("tensors '{}' and '{}' overlap (bytes from {} and {})",
                              by_offset[i - 1]->name, by_offset[i]->name,
                              by_offset[i - 1]->offset, by_offset[i]->offset));
  return idx;
}

}  // namespace hearth
