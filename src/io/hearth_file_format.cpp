// Encoding and validating the .hearth header and tensor table (layout: hearth_file_format.h).
// Every read is bounds-checked against the bytes given; every size is checked for overflow
// before it is used, because the input is an untrusted file.
#include "src/io/hearth_file_format.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

#include "src/io/hearth_file_checksum.h"

namespace hearth {
namespace {

constexpr uint64_t kTableHeadBytes = 8;

uint64_t entry_bytes(const HearthTensorEntry& e) {
  return 2 + e.name.size() + 2 + 8 * e.shape.size() + 8 * 3 + 4 * 2;
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

Status check_entry(const HearthTensorEntry& e, uint64_t data_offset, uint64_t file_size) {
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
  if (e.offset < data_offset || e.offset > file_size || e.nbytes > file_size - e.offset)
    return Status::errorf("tensor '{}': bytes [{}, {}) lie outside the data region [{}, {}) "
                          "(truncated or corrupt file; convert it again)",
                          e.name, e.offset, e.offset + e.nbytes, data_offset, file_size);
  return Status::ok();
}

}  // namespace

uint64_t index_table_bytes(const std::vector<HearthTensorEntry>& entries) {
  uint64_t n = kTableHeadBytes;
  for (const auto& e : entries) n += entry_bytes(e);
  return n;
}

std::vector<uint8_t> encode_index(const std::string& metadata_text,
                                  const std::vector<HearthTensorEntry>& entries) {
  std::vector<uint8_t> out(kHearthHeaderBytes + metadata_text.size(), 0);
  if (!metadata_text.empty()) std::memcpy(out.data() + kHearthHeaderBytes, metadata_text.data(), metadata_text.size());
  const uint64_t table_offset = out.size();
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
  const uint64_t table_end = out.size();
  out.resize(align_up(table_end), 0);
  uint8_t* h = out.data();
  std::memcpy(h, kHearthMagic, 8);
  const uint16_t ver[2] = {kHearthMajor, kHearthMinor};
  std::memcpy(h + 8, ver, 4);
  const uint32_t header_bytes = kHearthHeaderBytes;
  std::memcpy(h + 12, &header_bytes, 4);
  const uint64_t fields[5] = {kHearthHeaderBytes, metadata_text.size(), table_offset,
                              table_end - table_offset, out.size()};
  std::memcpy(h + 16, fields, sizeof(fields));
  const uint64_t sum = xxh64(h + kHearthHeaderBytes, table_end - kHearthHeaderBytes);
  std::memcpy(h + 56, &sum, 8);
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
                          "format {}.x and older; upgrade hearth (or convert the model again "
                          "with this version)", name, idx.major, idx.minor, kHearthMajor);
  if (idx.major == 0) return fail("format major version 0 does not exist");
  uint32_t header_bytes = 0;
  std::memcpy(&header_bytes, h + 12, 4);
  uint64_t f[6];  // metadata offset, metadata bytes, table offset, table bytes, data offset, sum
  std::memcpy(f, h + 16, sizeof(f));
  const uint64_t limit = std::min<uint64_t>(bytes.size(), file_size);
  if (header_bytes != kHearthHeaderBytes || f[0] != kHearthHeaderBytes)
    return fail(fmt::format("header size {} / metadata offset {} (expected 64 / 64)", header_bytes, f[0]));
  if (f[1] > limit - f[0] || f[2] != f[0] + f[1] || f[3] > limit - f[2] || f[3] < kTableHeadBytes)
    return fail(fmt::format("metadata [{}, +{}) or table [{}, +{}) lies outside the file's {} "
                            "bytes (truncated?)", f[0], f[1], f[2], f[3], file_size));
  const uint64_t table_end = f[2] + f[3];
  if (f[4] > file_size)
    return fail(fmt::format("tensor data should start at byte {} but the file has only {} "
                            "bytes (truncated? convert or copy it again)", f[4], file_size));
  if (f[4] < table_end || f[4] % kHearthAlign != 0)
    return fail(fmt::format("data offset {} (expected a multiple of {} at or after {})", f[4],
                            kHearthAlign, table_end));
  if (check_index_checksum && xxh64(h + f[0], table_end - f[0]) != f[5])
    return fail("the checksum of the metadata and tensor table does not match (corrupt file)");
  idx.metadata_text.assign(reinterpret_cast<const char*>(h + f[0]), f[1]);
  idx.data_offset = f[4];

  Cursor c(h + f[2], f[3]);
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
    if (Status s = check_entry(e, idx.data_offset, file_size); !s) return fail(s.message());
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
