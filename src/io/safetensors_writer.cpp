// The safetensors writer (see safetensors_writer.h).
#include "src/io/safetensors_writer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "src/base/size.h"
#include "src/io/safetensors.h"

namespace hearth {

Result<std::unique_ptr<SafetensorsWriter>> SafetensorsWriter::create(
    const std::string& path, const std::vector<SafetensorsTensorInfo>& tensors,
    const std::map<std::string, std::string>& metadata) {
  auto fail = [&](const std::string& why) { return Status::errorf("cannot write '{}': {}", path, why); };
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string> names;
  std::vector<uint64_t> sizes;
  uint64_t offset = 0;
  for (const SafetensorsTensorInfo& t : tensors) {
    if (t.name == "__metadata__") return fail("a tensor may not be named '__metadata__'");
    if (!names.insert(t.name).second) return fail(fmt::format("tensor '{}' appears twice", t.name));
    const size_t dtype_bytes = safetensors_dtype_bytes(t.dtype);
    if (dtype_bytes == 0) return fail(fmt::format("tensor '{}': unknown dtype '{}'", t.name, t.dtype));
    uint64_t bytes = dtype_bytes;
    for (int64_t d : t.shape) {
      if (d < 0) return fail(fmt::format("tensor '{}': negative dimension {}", t.name, d));
      const uint64_t dim = static_cast<uint64_t>(d);
      if (dim != 0 && bytes > std::numeric_limits<uint64_t>::max() / dim)
        return fail(fmt::format("tensor '{}': shape is too large", t.name));
      bytes *= dim;
    }
    if (bytes > std::numeric_limits<uint64_t>::max() - offset) return fail("the tensors are too large");
    header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    sizes.push_back(bytes);
  }
  std::string h;
  try {
    h = header.dump();
  } catch (const nlohmann::json::exception&) {
    return fail("tensor names and metadata must be valid UTF-8");
  }
  h.append((8 - h.size() % 8) % 8, ' ');  // the data section starts 8-byte aligned

  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return Status::errorf("output '{}' is a folder; give a file name such as {}/model.safetensors", path, path);
  auto w = std::unique_ptr<SafetensorsWriter>(new SafetensorsWriter());
  w->path_ = path;
  w->data_bytes_ = offset;
  w->tensor_bytes_ = std::move(sizes);
  auto temp = create_temp_beside(path);
  if (!temp) return temp.status();
  w->temp_ = std::move(temp.value());
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(static_cast<uint64_t>(h.size()) >> (8 * i));
  HEARTH_TRY(w->write_all(len, sizeof(len)));
  HEARTH_TRY(w->write_all(h.data(), h.size()));
  return w;
}

SafetensorsWriter::~SafetensorsWriter() {
  if (!done_) remove_temp();
}

void SafetensorsWriter::remove_temp() {
  if (temp_.fd >= 0) close(temp_.fd);
  temp_.fd = -1;
  if (!temp_.path.empty()) unlink(temp_.path.c_str());
  untrack_temp();
}

Status SafetensorsWriter::write_all(const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (n > 0) {
    const ssize_t k = ::write(temp_.fd, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      const int err = k < 0 ? errno : ENOSPC;
      return Status::errorf("writing '{}' failed: {}{}", path_, std::strerror(err), errno_hint(err));
    }
    p += k;
    n -= to_size(k);
  }
  return Status::ok();
}

Status SafetensorsWriter::append(const void* data, size_t nbytes) {
  HEARTH_CHECK(!done_, "append() after finish()");
  if (nbytes > data_bytes_ - written_)
    return Status::errorf("writing '{}': {} more bytes than the {} the tensors hold", path_,
                          written_ + nbytes - data_bytes_, data_bytes_);
  HEARTH_TRY(write_all(data, nbytes));
  written_ += nbytes;
  return Status::ok();
}

Status SafetensorsWriter::finish() {
  HEARTH_CHECK(!done_, "finish() twice");
  if (written_ != data_bytes_)
    return Status::errorf("writing '{}': {} of the {} tensor bytes were given", path_, written_, data_bytes_);
  if (fsync(temp_.fd) != 0) {
    const int err = errno;
    return Status::errorf("finishing '{}' failed: {}{}", path_, std::strerror(err), errno_hint(err));
  }
  close(temp_.fd);
  temp_.fd = -1;
  if (std::rename(temp_.path.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    return Status::errorf("renaming the finished file to '{}' failed: {}{}", path_, std::strerror(err),
                          errno_hint(err));
  }
  done_ = true;
  untrack_temp();
  return Status::ok();
}

Status write_safetensors(const std::string& path, std::span<const SafetensorsTensor> tensors,
                         const std::map<std::string, std::string>& metadata) {
  std::vector<SafetensorsTensorInfo> infos;
  infos.reserve(tensors.size());
  for (const SafetensorsTensor& t : tensors) infos.push_back(t.info);
  auto w = SafetensorsWriter::create(path, infos, metadata);
  if (!w) return w.status();
  for (size_t i = 0; i < tensors.size(); ++i) {
    const SafetensorsTensor& t = tensors[i];
    if (t.bytes.size() != (*w)->tensor_bytes(i))
      return Status::errorf("cannot write '{}': tensor '{}' has {} bytes but its shape and dtype {} need {}", path,
                            t.info.name, t.bytes.size(), t.info.dtype, (*w)->tensor_bytes(i));
    HEARTH_TRY((*w)->append(t.bytes.data(), t.bytes.size()));
  }
  return (*w)->finish();
}

}  // namespace hearth
