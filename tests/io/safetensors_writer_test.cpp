// The safetensors writer against the reader: tensors of several dtypes and shapes (a scalar,
// an empty one, odd byte counts that leave later tensors unaligned) come back with the same
// names, dtypes, shapes and bytes; the header is 8-byte padded and the data offsets contiguous;
// streamed appends in arbitrary chunks; refusals (bad lists, wrong byte counts, too many or too
// few bytes, a missing folder, a folder as destination, a full disk) leave no file behind.
// Not here: the reader's own validation of damaged files (fuzz/, loader_errors_test.cpp).
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>

#include "src/io/safetensors.h"
#include "src/io/safetensors_writer.h"
#include "tests/common/test_files.h"

namespace hearth {
namespace {

using test::TempDir;

size_t entries_in(const std::string& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + 37 * i + (i >> 8));
  return v;
}

struct Sample {
  SafetensorsTensorInfo info;
  std::vector<uint8_t> bytes;
};

// Several dtypes and shapes, in an order that leaves later tensors at odd offsets.
std::vector<Sample> samples() {
  return {
      {{"model.embed_tokens.weight", "BF16", {7, 3}}, pattern(42, 1)},
      {{"odd.u8", "U8", {3, 5}}, pattern(15, 2)},  // 15 bytes: what follows is unaligned
      {{"a.f32", "F32", {2, 3, 4}}, pattern(96, 3)},
      {{"empty.f16", "F16", {0, 4}}, {}},
      {{"scalar.f64", "F64", {}}, pattern(8, 4)},
      {{"ids.i64", "I64", {5}}, pattern(40, 5)},
      {{"one.i8", "I8", {1}}, pattern(1, 6)},
      {{"flags", "BOOL", {3}}, {1, 0, 1}},
      {{"z.f16", "F16", {9}}, pattern(18, 7)},
  };
}

std::vector<SafetensorsTensor> views(const std::vector<Sample>& s) {
  std::vector<SafetensorsTensor> out;
  for (const Sample& x : s) out.push_back({x.info, x.bytes});
  return out;
}

// Reads path back and checks it holds exactly `expect` (and `metadata`), header and offsets included.
void expect_file_holds(const std::string& path, const std::vector<Sample>& expect,
                       const std::map<std::string, std::string>& metadata) {
  const std::string file = test::read_file(path);
  ASSERT_GE(file.size(), 8u);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | static_cast<uint8_t>(file[static_cast<size_t>(i)]);
  EXPECT_EQ(header_len % 8, 0u) << "the data section must start 8-byte aligned";
  auto index = SafetensorsIndex::parse(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(file.data()), file.size()), path);
  ASSERT_TRUE(index) << index.message();
  EXPECT_EQ(index->metadata(), metadata);
  ASSERT_EQ(index->tensors().size(), expect.size());
  const uint8_t* data = reinterpret_cast<const uint8_t*>(file.data()) + 8 + header_len;
  size_t offset = 0;  // contiguous, in the order given
  for (const Sample& s : expect) {
    SCOPED_TRACE(s.info.name);
    auto it = index->tensors().find(s.info.name);
    ASSERT_NE(it, index->tensors().end());
    const SafetensorsEntry& e = it->second;
    EXPECT_EQ(e.dtype, s.info.dtype);
    EXPECT_EQ(e.view.shape, s.info.shape);
    ASSERT_EQ(e.view.nbytes, s.bytes.size());
    EXPECT_EQ(e.view.data, data + offset);
    EXPECT_TRUE(s.bytes.empty() || std::memcmp(e.view.data, s.bytes.data(), s.bytes.size()) == 0);
    offset += s.bytes.size();
  }
  EXPECT_EQ(file.size(), 8 + header_len + offset) << "nothing after the last tensor";
}

TEST(SafetensorsWriter, RoundTripsDtypesShapesAndBytes) {
  TempDir dir;
  const auto s = samples();
  const std::map<std::string, std::string> meta = {{"format", "pt"}, {"note", "written by the test"}};
  ASSERT_TRUE(write_safetensors(dir.file("m.safetensors"), views(s), meta));
  expect_file_holds(dir.file("m.safetensors"), s, meta);
  EXPECT_EQ(entries_in(dir.path()), 1u) << "no temporary file left";
}

TEST(SafetensorsWriter, NoMetadataAndNoTensors) {
  TempDir dir;
  ASSERT_TRUE(write_safetensors(dir.file("empty.safetensors"), {}));
  expect_file_holds(dir.file("empty.safetensors"), {}, {});
  EXPECT_EQ(test::read_file(dir.file("empty.safetensors")), std::string("\x08\0\0\0\0\0\0\0{}      ", 16));
}

TEST(SafetensorsWriter, StreamsChunksAcrossTensorBoundaries) {
  TempDir dir;
  const auto s = samples();
  std::vector<SafetensorsTensorInfo> infos;
  std::vector<uint8_t> all;
  for (const Sample& x : s) {
    infos.push_back(x.info);
    all.insert(all.end(), x.bytes.begin(), x.bytes.end());
  }
  auto w = SafetensorsWriter::create(dir.file("m.safetensors"), infos, {{"format", "pt"}});
  ASSERT_TRUE(w) << w.message();
  EXPECT_EQ((*w)->data_bytes(), all.size());
  EXPECT_EQ((*w)->tensor_bytes(1), 15u);
  for (size_t i = 0, chunk = 1; i < all.size(); i += chunk, chunk = chunk * 2 + 1)
    ASSERT_TRUE((*w)->append(all.data() + i, std::min(chunk, all.size() - i)));
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.safetensors"))) << "the file appears only at finish()";
  ASSERT_TRUE((*w)->finish());
  expect_file_holds(dir.file("m.safetensors"), s, {{"format", "pt"}});
  EXPECT_EQ(entries_in(dir.path()), 1u);
}

TEST(SafetensorsWriter, RefusesBadListsAndLeavesNoFile) {
  TempDir dir;
  const std::string path = dir.file("m.safetensors");
  const std::vector<uint8_t> four(4);
  const std::vector<std::pair<std::vector<SafetensorsTensor>, std::string>> cases = {
      {{{{"a", "F31", {1}}, four}}, "unknown dtype 'F31'"},
      {{{{"a", "F32", {-1}}, four}}, "negative dimension"},
      {{{{"a", "F32", {1}}, four}, {{"a", "F32", {1}}, four}}, "appears twice"},
      {{{{"__metadata__", "F32", {1}}, four}}, "__metadata__"},
      {{{{"a", "F32", {2}}, four}}, "has 4 bytes but"},
      {{{{"a", "U8", {1ll << 62, 1ll << 62}}, four}}, "too large"},
      {{{{"bad\xff", "F32", {1}}, four}}, "UTF-8"},
  };
  for (const auto& [tensors, why] : cases) {
    const Status st = write_safetensors(path, tensors);
    EXPECT_FALSE(st) << why;
    EXPECT_NE(st.message().find(why), std::string::npos) << st.message();
    EXPECT_EQ(entries_in(dir.path()), 0u) << why;
  }
}

TEST(SafetensorsWriter, TooManyOrTooFewBytesAndAbandonedWritesLeaveNoFile) {
  TempDir dir;
  const std::string path = dir.file("m.safetensors");
  const std::vector<uint8_t> bytes(9);
  {
    auto w = SafetensorsWriter::create(path, {{"a", "F32", {2}}});
    ASSERT_TRUE(w) << w.message();
    EXPECT_FALSE((*w)->append(bytes.data(), 9));
    ASSERT_TRUE((*w)->append(bytes.data(), 4));
    const Status st = (*w)->finish();
    EXPECT_FALSE(st);
    EXPECT_NE(st.message().find("4 of the 8 tensor bytes"), std::string::npos) << st.message();
  }
  {
    auto w = SafetensorsWriter::create(path, {{"a", "F32", {2}}});
    ASSERT_TRUE(w) << w.message();
    ASSERT_TRUE((*w)->append(bytes.data(), 8));
    EXPECT_TRUE(std::filesystem::exists((*w)->temp_path()));
  }  // destroyed without finish()
  EXPECT_EQ(entries_in(dir.path()), 0u);
}

TEST(SafetensorsWriter, UnwritablePathsAreErrorsAndLeaveNoFile) {
  TempDir dir;
  const std::vector<uint8_t> four(4);
  const std::vector<SafetensorsTensor> t = {{{"a", "F32", {1}}, four}};
  const Status missing = write_safetensors(dir.file("no/such/folder/m.safetensors"), t);
  EXPECT_FALSE(missing);
  EXPECT_NE(missing.message().find("folder does not exist"), std::string::npos) << missing.message();
  std::filesystem::create_directory(dir.file("sub"));
  const Status folder = write_safetensors(dir.file("sub"), t);
  EXPECT_FALSE(folder);
  EXPECT_NE(folder.message().find("is a folder"), std::string::npos) << folder.message();
  EXPECT_EQ(entries_in(dir.path()), 1u);
  EXPECT_EQ(entries_in(dir.file("sub")), 0u);
}

// A write that fails half-way (the file-size limit stands in for a full disk) leaves no partial
// file, and an older file at the destination untouched.
TEST(SafetensorsWriter, FullDiskLeavesNoPartialFileAndKeepsTheOldOne) {
  TempDir dir;
  const std::string path = dir.file("m.safetensors");
  test::write_file(path, "old");
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{100000, 100000};
    setrlimit(RLIMIT_FSIZE, &limit);
    const std::vector<uint8_t> big(1 << 20, 7);
    const Status st = write_safetensors(path, std::vector<SafetensorsTensor>{{{"big", "U8", {1 << 20}}, big}});
    _exit(!st && st.message().find("larger than allowed") != std::string::npos ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the write should fail with a file-size error";
  EXPECT_EQ(entries_in(dir.path()), 1u);
  EXPECT_EQ(test::read_file(path), "old");
}

}  // namespace
}  // namespace hearth
