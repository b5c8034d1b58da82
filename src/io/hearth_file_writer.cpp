#include "src/io/hearth_file_writer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "src/base/size.h"
#include "src/io/hearth_file_checksum.h"

namespace hearth {

Result<std::unique_ptr<HearthFileWriter>> HearthFileWriter::create(
    const std::string& path, std::string metadata_text, std::vector<HearthTensorEntry> entries) {
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return Status::errorf("output '{}' is a folder; give a file name such as {}/model.hearth", path, path);
  auto w = std::unique_ptr<HearthFileWriter>(new HearthFileWriter());
  w->path_ = path;
  w->metadata_block_ = encode_metadata_block(metadata_text);
  w->entries_ = std::move(entries);
  auto temp = create_temp_beside(path);
  if (!temp) return temp.status();
  w->fd_ = temp->fd;
  w->temp_path_ = temp->path;
  w->cursor_ = data_offset_after(w->metadata_block_.size());
  return w;
}

HearthFileWriter::~HearthFileWriter() {
  if (!done_) remove_temp();
}

void HearthFileWriter::remove_temp() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  if (!temp_path_.empty()) unlink(temp_path_.c_str());
  untrack_temp();
}

Status HearthFileWriter::write_at(uint64_t offset, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (n > 0) {
    const ssize_t k = pwrite(fd_, p, n, static_cast<off_t>(offset));
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      const int err = k < 0 ? errno : ENOSPC;
      return Status::errorf("writing '{}' failed: {}{}; nothing was written", path_,
                            std::strerror(err), errno_hint(err));
    }
    p += k;
    n -= to_size(k);
    offset += static_cast<uint64_t>(k);
  }
  return Status::ok();
}

Status HearthFileWriter::write_tensor(size_t i, Format f, const void* data, size_t nbytes,
                                      float rel_rmse, float max_abs) {
  HEARTH_CHECK(i == next_ && i < entries_.size() && !done_, "tensors must be written in order");
  HearthTensorEntry& e = entries_[i];
  int64_t numel = 1;
  for (int64_t d : e.shape) numel *= d;
  HEARTH_CHECK(nbytes == format_bytes(f, to_size(numel)), "size of {}", e.name);
  e.format = f;
  e.offset = cursor_;
  e.nbytes = nbytes;
  e.checksum = xxh64(data, nbytes);
  e.rel_rmse = rel_rmse;
  e.max_abs = max_abs;
  HEARTH_TRY(write_at(cursor_, data, nbytes));
  cursor_ = (cursor_ + nbytes + kHearthAlign - 1) / kHearthAlign * kHearthAlign;
  ++next_;
  return Status::ok();
}

Status HearthFileWriter::finish() {
  HEARTH_CHECK(next_ == entries_.size(), "finish() before all tensors were written");
  // The table follows the last tensor's end directly (no padding); the head goes in front.
  uint64_t table_offset = data_offset_after(metadata_block_.size());
  for (const auto& e : entries_) table_offset = std::max(table_offset, e.offset + e.nbytes);
  const std::vector<uint8_t> table = encode_table_block(entries_);
  const std::vector<uint8_t> head = encode_head(metadata_block_, table_offset, table);
  HEARTH_CHECK(entries_.empty() || head.size() <= entries_.front().offset);
  HEARTH_TRY(write_at(table_offset, table.data(), table.size()));
  HEARTH_TRY(write_at(0, head.data(), head.size()));
  const uint64_t end = table_offset + table.size();
  if (ftruncate(fd_, static_cast<off_t>(end)) != 0 || fsync(fd_) != 0) {
    const int err = errno;
    return Status::errorf("finishing '{}' failed: {}{}", path_, std::strerror(err), errno_hint(err));
  }
  close(fd_);
  fd_ = -1;
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    return Status::errorf("renaming the finished file to '{}' failed: {}{}", path_,
                          std::strerror(err), errno_hint(err));
  }
  done_ = true;
  untrack_temp();
  return Status::ok();
}

}  // namespace hearth
