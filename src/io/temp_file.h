// Output files that appear whole or not at all: the writers (hearth_file_writer.h,
// safetensors_writer.h) write into a temporary file beside the destination and rename it over
// the destination only when the last byte is written. The shared parts live here: creating that
// temporary file, removing it when the process is interrupted, and turning an errno into a
// hint a user can act on.
// Not here: the writers themselves and their formats.
#pragma once

#include <string>

#include "src/base/status.h"

namespace hearth {

// The folder of path ("." when it names none).
std::string folder_of(const std::string& path);

// " (the disk is full: free space or write elsewhere)" and the like for the errors a user can
// act on; "" for the others.
std::string errno_hint(int err);

struct TempFile {
  int fd = -1;       // open for writing
  std::string path;  // the temporary file's own name: "<folder>/.<name>.tmp.XXXXXX"
};

// Creates the temporary file for path, with the permissions a plain create would give (0666
// less the umask), and makes it the one install_signal_cleanup removes. Errors: the folder is
// missing or not writable, the path is too long.
Result<TempFile> create_temp_beside(const std::string& path);

// The temporary file was renamed or removed: a signal no longer removes it.
void untrack_temp();

// SIGINT / SIGTERM remove the temporary file of the write in progress, then end the process
// as the signal would have. Also makes file-size limits (RLIMIT_FSIZE) an EFBIG error instead
// of a SIGXFSZ kill. Idempotent.
void install_signal_cleanup();

}  // namespace hearth
