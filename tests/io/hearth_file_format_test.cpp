// The .hearth container: XXH64 vectors, write/read round trip (zero-copy views, metadata,
// alignment), version rules (newer major refused, newer minor and unknown keys accepted),
// compressed index blocks and their placement, and clear refusals of damaged files:
// truncation, bad tensor checksums (verify), corrupt
// index, overlapping or out-of-file entries, misalignment, wrong sizes, unknown formats.
// Not here: conversion (convert_*_test.cpp).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "quant/codec.h"
#include "src/io/hearth_file.h"
#include "src/io/hearth_file_checksum.h"
#include "src/io/hearth_file_writer.h"
#include "tests/common/test_files.h"

namespace hearth {
namespace {

using test::TempDir;

struct Sample {
  std::vector<float> f32;     // [3][5]
  std::vector<uint8_t> q8;    // [4][64] in q8g32
  std::vector<uint16_t> bf16; // [7]
};

Sample make_sample() {
  Sample s;
  for (int i = 0; i < 15; ++i) s.f32.push_back(0.25f * static_cast<float>(i) - 1.0f);
  std::vector<float> w(4 * 64);
  for (size_t i = 0; i < w.size(); ++i) w[i] = std::sin(0.37f * static_cast<float>(i));
  s.q8.resize(format_bytes(Format::kQ8G32, w.size()));
  EXPECT_TRUE(quantize_matrix(Format::kQ8G32, w.data(), 4, 64, s.q8.data(), nullptr, QuantOptions{}));
  for (int i = 0; i < 7; ++i) s.bf16.push_back(static_cast<uint16_t>(0x3f80 + i));
  return s;
}

HearthTensorEntry entry(const std::string& name, std::vector<int64_t> shape) {
  HearthTensorEntry e;
  e.name = name;
  e.shape = std::move(shape);
  return e;
}

const char* kMeta = R"({"config": {"architectures": ["Qwen3MoeForCausalLM"], "hidden_size": 64},
  "tokenizer_json": "{\"model\": {}}", "tokenizer_config_json": "{}",
  "generation_config": {"do_sample": false}, "from_the_future": {"x": 1}})";

// Writes the sample to `path` through the real writer.
void write_sample(const std::string& path, const std::string& meta = kMeta) {
  const Sample s = make_sample();
  auto w = HearthFileWriter::create(path, meta, {entry("a.f32", {3, 5}), entry("b.q8", {4, 64}), entry("c.norm", {7})});
  ASSERT_TRUE(w) << w.message();
  ASSERT_TRUE((*w)->write_tensor(0, Format::kF32, s.f32.data(), 60, 0, 0));
  ASSERT_TRUE((*w)->write_tensor(1, Format::kQ8G32, s.q8.data(), s.q8.size(), 0.004f, 0.01f));
  ASSERT_TRUE((*w)->write_tensor(2, Format::kBF16, s.bf16.data(), 14, 0, 0));
  ASSERT_TRUE((*w)->finish());
}

void patch(const std::string& path, size_t offset, const void* bytes, size_t n) {
  std::string data = test::read_file(path);
  std::memcpy(data.data() + offset, bytes, n);
  test::write_file(path, data);
}

std::string open_error(const std::string& path) {
  auto f = HearthFile::open(path);
  return f ? std::string("(opened)") : f.message();
}

TEST(HearthChecksum, MatchesPublishedXxh64Vectors) {
  EXPECT_EQ(xxh64("", 0), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(xxh64("a", 1), 0xD24EC4F1A98C6E5BULL);
  EXPECT_EQ(xxh64("abc", 3), 0x44BC2CF5AD770999ULL);
  const std::string s = "Nobody inspects the spammish repetition";
  EXPECT_EQ(xxh64(s.data(), s.size()), 0xFBCEA83C8A378BF1ULL);
}

TEST(HearthFile, RoundTripIsZeroCopyAndAligned) {
  TempDir dir;
  const std::string path = dir.file("m.hearth");
  write_sample(path);
  auto f = HearthFile::open(path);
  ASSERT_TRUE(f) << f.message();
  const Sample s = make_sample();
  EXPECT_EQ((*f)->config()["hidden_size"], 64);
  EXPECT_EQ((*f)->tokenizer_json(), "{\"model\": {}}");
  EXPECT_EQ((*f)->tokenizer_config_json(), "{}");
  EXPECT_EQ((*f)->generation_config()["do_sample"], false);
  EXPECT_EQ((*f)->tensor_names(), (std::vector<std::string>{"a.f32", "b.q8", "c.norm"}));
  auto a = (*f)->tensor("a.f32");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{3, 5}));
  EXPECT_EQ(a->format, Format::kF32);
  EXPECT_EQ(std::memcmp(a->data, s.f32.data(), 60), 0);
  auto b = (*f)->tensor("b.q8");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->format, Format::kQ8G32);
  EXPECT_EQ(b->nbytes, s.q8.size());
  EXPECT_EQ(std::memcmp(b->data, s.q8.data(), s.q8.size()), 0);
  for (const auto& e : (*f)->index().tensors) EXPECT_EQ(e.offset % kHearthAlign, 0u) << e.name;
  EXPECT_FLOAT_EQ((*f)->index().tensors[1].rel_rmse, 0.004f);
  EXPECT_FALSE((*f)->tensor("missing"));
  EXPECT_TRUE((*f)->verify_checksums());
  EXPECT_TRUE(HearthFile::looks_like_hearth(path));
  // Only the finished file is left in the folder.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(HearthFile, RefusesNewerMajorVersionClearly) {
  TempDir dir;
  const std::string path = dir.file("m.hearth");
  write_sample(path);
  const uint16_t major = kHearthMajor + 1;
  patch(path, 8, &major, 2);
  const std::string err = open_error(path);
  EXPECT_NE(err.find("format 3.0"), std::string::npos) << err;
  EXPECT_NE(err.find("upgrade hearth"), std::string::npos) << err;
  // Format 1 (uncompressed index, table before the data) is refused with what to do.
  const uint16_t old_major = 1;
  patch(path, 8, &old_major, 2);
  const std::string old = open_error(path);
  EXPECT_NE(old.find("format 1.0 by an earlier hearth"), std::string::npos) << old;
  EXPECT_NE(old.find("convert the model again"), std::string::npos) << old;
}

// The index is stored compressed: the metadata block right after the header, the table after
// the data, and the file is the tensors plus little else.
TEST(HearthFile, IndexBlocksAreCompressedAndPlaced) {
  TempDir dir;
  const std::string path = dir.file("m.hearth");
  std::string meta = kMeta;
  meta.insert(meta.size() - 1, R"(, "padding": ")" + std::string(20000, 'x') + "\"");  // compressible
  write_sample(path, meta);
  auto f = HearthFile::open(path);
  ASSERT_TRUE(f) << f.message();
  const HearthIndex& idx = (*f)->index();
  EXPECT_EQ(idx.metadata_text, meta);
  EXPECT_LT(idx.metadata_block_bytes, meta.size() / 10);
  EXPECT_EQ(idx.data_offset, data_offset_after(idx.metadata_block_bytes));
  uint64_t data_end = 0;
  for (const auto& e : idx.tensors) data_end = std::max(data_end, e.offset + e.nbytes);
  EXPECT_EQ(idx.table_offset, data_end);
  EXPECT_EQ(idx.table_offset + idx.table_block_bytes, (*f)->file_size());
}

TEST(HearthFile, AcceptsNewerMinorAndIgnoresUnknownKeys) {
  TempDir dir;
  const std::string path = dir.file("m.hearth");
  write_sample(path);  // kMeta carries an unknown key
  const uint16_t minor = kHearthMinor + 7;
  patch(path, 10, &minor, 2);
  auto f = HearthFile::open(path);
  ASSERT_TRUE(f) << f.message();
  EXPECT_EQ((*f)->index().minor, kHearthMinor + 7);
}

TEST(HearthFile, RefusesTruncatedFiles) {
  TempDir dir;
  const std::string path = dir.file("m.hearth");
  write_sample(path);
  const std::string full = test::read_file(path);
  for (size_t len : {size_t{0}, size_t{10}, size_t{64}, size_t{200}, full.size() / 2, full.size() - 1}) {
    SCOPED_TRACE(len);
    test::write_file(path, full.substr(0, len));
    const std::string err = open_error(path);
    EXPECT_TRUE(err.find("truncated") != std::string::npos || err.find("empty") != std::string::npos ||
                err.find("shorter") != std::string::npos) << err;
  }
}

TEST(HearthFile, VerifyFindsACorruptTensor) {
  TempDir dir;
  const std::string path = dir.file("m.hearth");
  write_sample(path);
  auto f0 = HearthFile::open(path);
  ASSERT_TRUE(f0);
  const uint64_t at = (*f0)->index().tensors[1].offset + 5;
  f0.value().reset();
  const uint8_t junk = 0x5a;
  patch(path, at, &junk, 1);
  auto f = HearthFile::open(path);  // loading does not hash the data
  ASSERT_TRUE(f) << f.message();
  const Status s = (*f)->verify_checksums();
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("checksum mismatch in 1 of 3 tensors (b.q8)"), std::string::npos) << s.message();
}

TEST(HearthFile, RefusesACorruptIndex) {
  TempDir dir;
  const std::string path = dir.file("m.hearth");
  write_sample(path);
  const char junk = 'X';
  patch(path, kHearthHeaderBytes + 3, &junk, 1);
  EXPECT_NE(open_error(path).find("checksum of the metadata and tensor table"), std::string::npos);
  patch(path, 0, "NOTHEART", 8);
  EXPECT_NE(open_error(path).find("magic"), std::string::npos);
}

// A file whose table is built by hand (valid index checksum): header, metadata, data_bytes
// zero bytes of data, then the table.
const std::vector<uint8_t> kSmallMeta = encode_metadata_block(R"({"config": {}})");

std::string file_with_entries(std::vector<HearthTensorEntry> entries, uint64_t data_bytes) {
  const std::vector<uint8_t> table = encode_table_block(entries);
  const uint64_t table_offset = data_offset_after(kSmallMeta.size()) + data_bytes;
  const std::vector<uint8_t> head = encode_head(kSmallMeta, table_offset, table);
  std::string bytes(head.begin(), head.end());
  bytes.resize(table_offset, '\0');
  bytes.append(table.begin(), table.end());
  return bytes;
}

std::string parse_error(const std::string& bytes) {
  auto idx = parse_index({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, bytes.size(), "t.hearth");
  return idx ? std::string("(parsed)") : idx.message();
}

TEST(HearthFile, RefusesBadTableEntries) {
  // Data region: from the first multiple of 64 after the metadata block up to the table.
  const uint64_t base = data_offset_after(kSmallMeta.size());
  auto e = [&](const char* name, Format f, std::vector<int64_t> shape, uint64_t offset, uint64_t nbytes) {
    HearthTensorEntry x = entry(name, std::move(shape));
    x.format = f;
    x.offset = base + offset;
    x.nbytes = nbytes;
    return x;
  };
  EXPECT_EQ(parse_error(file_with_entries({e("a", Format::kF32, {2, 32}, 0, 256), e("b", Format::kF32, {2, 32}, 256, 256)}, 512)),
            "(parsed)");
  EXPECT_NE(parse_error(file_with_entries({e("a", Format::kF32, {2, 32}, 0, 256), e("b", Format::kF32, {2, 32}, 128, 256)}, 512))
                .find("overlap"), std::string::npos);
  EXPECT_NE(parse_error(file_with_entries({e("a", Format::kF32, {2, 32}, 0, 256), e("b", Format::kF32, {2, 32}, 1024, 256)}, 512))
                .find("outside the data region"), std::string::npos);
  EXPECT_NE(parse_error(file_with_entries({e("a", Format::kF32, {2, 32}, 0, 256), e("b", Format::kF32, {2, 32}, 260, 256)}, 1024))
                .find("aligned"), std::string::npos);
  EXPECT_NE(parse_error(file_with_entries({e("a", Format::kF32, {2, 32}, 0, 200), e("b", Format::kF32, {2, 32}, 256, 256)}, 512))
                .find("needs 256"), std::string::npos);
  EXPECT_NE(parse_error(file_with_entries({e("a", Format::kQ8G32, {2, 33}, 0, 256), e("b", Format::kF32, {2, 32}, 256, 256)}, 512))
                .find("not a multiple"), std::string::npos);
  EXPECT_NE(parse_error(file_with_entries({e("a", Format::kF32, {2, 32}, 0, 256), e("a", Format::kF32, {2, 32}, 256, 256)}, 512))
                .find("appears twice"), std::string::npos);
  EXPECT_NE(parse_error(file_with_entries({e("a", Format::kF32, {0, 32}, 0, 0), e("b", Format::kF32, {2, 32}, 256, 256)}, 512))
                .find("dimension 0"), std::string::npos);
  // An unknown format id (a newer writer's format).
  const std::string bytes = file_with_entries({e("a", static_cast<Format>(42), {2, 32}, 0, 256), e("b", Format::kF32, {2, 32}, 256, 256)}, 512);
  EXPECT_NE(parse_error(bytes).find("format id 42"), std::string::npos) << parse_error(bytes);
  // A table block that is not zstd, with a valid checksum over it.
  std::string junk = file_with_entries({e("a", Format::kF32, {2, 32}, 0, 256)}, 256);
  uint64_t table_offset = 0, table_bytes = 0;
  std::memcpy(&table_offset, junk.data() + 32, 8);
  std::memcpy(&table_bytes, junk.data() + 40, 8);
  junk[table_offset] ^= 0x55;
  auto idx = parse_index({reinterpret_cast<const uint8_t*>(junk.data()), junk.size()}, junk.size(), "t", false);
  ASSERT_FALSE(idx);
  EXPECT_NE(idx.message().find("tensor table block"), std::string::npos) << idx.message();
}

TEST(HearthFileWriter, AbandonedOrFailedWritesLeaveNothing) {
  TempDir dir;
  {
    const Sample s = make_sample();
    auto w = HearthFileWriter::create(dir.file("m.hearth"), kMeta, {entry("a.f32", {3, 5}), entry("b", {4, 64})});
    ASSERT_TRUE(w) << w.message();
    ASSERT_TRUE((*w)->write_tensor(0, Format::kF32, s.f32.data(), 60, 0, 0));
    EXPECT_TRUE(std::filesystem::exists((*w)->temp_path()));
  }  // destroyed before finish(): as if conversion failed
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 0);
  auto bad = HearthFileWriter::create(dir.file("no/such/folder/m.hearth"), kMeta, {entry("a", {1})});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.message().find("folder does not exist"), std::string::npos) << bad.message();
  auto folder = HearthFileWriter::create(dir.path(), kMeta, {entry("a", {1})});
  ASSERT_FALSE(folder);
  EXPECT_NE(folder.message().find("is a folder"), std::string::npos) << folder.message();
}

}  // namespace
}  // namespace hearth
