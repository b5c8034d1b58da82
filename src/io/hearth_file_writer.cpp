#include "src/io/hearth_file_writer.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "src/io/hearth_file_checksum.h"

namespace hearth {
namespace {

// The temporary file in progress, for the signal handler (async-signal-safe: a fixed buffer).
char g_temp_path[4096];
std::atomic<bool> g_temp_active{false};

void on_signal(int sig) {
  if (g_temp_active.load()) unlink(g_temp_path);
  signal(sig, SIG_DFL);
  raise(sig);
}

std::string folder_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string errno_hint(int err) {
  if (err == ENOSPC || err == EDQUOT) return " (the disk is full: free space or write elsewhere)";
  if (err == EFBIG) return " (the file is larger than allowed here: check ulimit -f or the file system)";
  if (err == EACCES || err == EPERM || err == EROFS) return " (no permission: choose a writable folder)";
  if (err == ENOENT) return " (the folder does not exist: create it first)";
  return "";
}

}  // namespace

void install_signal_cleanup() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGXFSZ, SIG_IGN);
}

Result<std::unique_ptr<HearthFileWriter>> HearthFileWriter::create(
    const std::string& path, std::string metadata_text, std::vector<HearthTensorEntry> entries) {
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return Status::errorf("output '{}' is a folder; give a file name such as {}/model.hearth", path, path);
  auto w = std::unique_ptr<HearthFileWriter>(new HearthFileWriter());
  w->path_ = path;
  w->metadata_block_ = encode_metadata_block(metadata_text);
  w->entries_ = std::move(entries);
  std::string tmpl = folder_of(path) + "/." + path.substr(path.rfind('/') + 1) + ".tmp.XXXXXX";
  if (tmpl.size() >= sizeof(g_temp_path)) return Status::errorf("output path '{}' is too long", path);
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  w->fd_ = mkstemp(buf.data());
  if (w->fd_ < 0) {
    const int err = errno;
    return Status::errorf("cannot create a file in '{}' for '{}': {}{}", folder_of(path), path,
                          std::strerror(err), errno_hint(err));
  }
  w->temp_path_ = buf.data();
  const mode_t mask = umask(0);
  umask(mask);
  fchmod(w->fd_, 0666 & ~mask);
  std::memcpy(g_temp_path, w->temp_path_.c_str(), w->temp_path_.size() + 1);
  g_temp_active.store(true);
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
  g_temp_active.store(false);
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
    n -= static_cast<size_t>(k);
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
  HEARTH_CHECK(nbytes == format_bytes(f, static_cast<size_t>(numel)), "size of {}", e.name);
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
  g_temp_active.store(false);
  return Status::ok();
}

}  // namespace hearth
