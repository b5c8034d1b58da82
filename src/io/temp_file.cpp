// The temporary file of an atomic write, its removal on a signal, errno hints (see temp_file.h).
#include "src/io/temp_file.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

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

}  // namespace

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

Result<TempFile> create_temp_beside(const std::string& path) {
  const std::string tmpl = folder_of(path) + "/." + path.substr(path.rfind('/') + 1) + ".tmp.XXXXXX";
  if (tmpl.size() >= sizeof(g_temp_path)) return Status::errorf("output path '{}' is too long", path);
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  TempFile f;
  f.fd = mkstemp(buf.data());
  if (f.fd < 0) {
    const int err = errno;
    return Status::errorf("cannot create a file in '{}' for '{}': {}{}", folder_of(path), path,
                          std::strerror(err), errno_hint(err));
  }
  f.path = buf.data();
  const mode_t mask = umask(0);
  umask(mask);
  fchmod(f.fd, 0666 & ~mask);
  std::memcpy(g_temp_path, f.path.c_str(), f.path.size() + 1);
  g_temp_active.store(true);
  return f;
}

void untrack_temp() { g_temp_active.store(false); }

void install_signal_cleanup() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGXFSZ, SIG_IGN);
}

}  // namespace hearth
