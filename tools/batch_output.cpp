#include "tools/batch_output.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace hearth::tools {

using openai::Json;

Result<std::unique_ptr<ResultsFile>> ResultsFile::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::errorf("cannot open {} for writing: {}", path, std::strerror(errno));
  std::unique_ptr<ResultsFile> file(new ResultsFile(path, fd));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0)
    return Status::errorf("{} is being written by another process (another hearth batch?); give each job its own "
                          "--output", path);
  HEARTH_TRY(file->recover());
  return file;
}

ResultsFile::~ResultsFile() {
  if (fd_ < 0) return;
  (void)sync();
  ::close(fd_);
}

// Reads the records back. Only the last line can be torn (one process appends, one write per
// record), so a bad line before it means the file is not ours.
Status ResultsFile::recover() {
  std::ifstream in(path_, std::ios::binary);
  std::string line;
  int64_t good_end = 0, offset = 0, line_number = 0;
  bool torn = false;
  while (std::getline(in, line)) {
    ++line_number;
    const bool ended = !in.eof();  // getline stopped at a newline
    offset += static_cast<int64_t>(line.size()) + (ended ? 1 : 0);
    const Json record = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    const bool valid = !record.is_discarded() && record.is_object() && record.contains("custom_id") &&
                       record["custom_id"].is_string();
    if (!ended || !valid) {
      if (in.peek() != std::char_traits<char>::eof())
        return Status::errorf("{} line {} is not a hearth batch result record; give an --output of its own to this job",
                              path_, line_number);
      torn = true;
      break;
    }
    good_end = offset;
    ++records_;
    Recorded& r = recorded_[record["custom_id"].get<std::string>()];
    const Json& error = record.contains("error") ? record["error"] : Json();
    if (error.is_object() && error.value("code", "") == kDuplicateCustomId) {
      ++r.duplicate_errors;
    } else {
      r.answered = true;
    }
  }
  struct stat st {};
  if (fstat(fd_, &st) != 0) return Status::errorf("cannot stat {}: {}", path_, std::strerror(errno));
  if (torn || st.st_size > good_end) {
    torn_bytes_ = static_cast<int64_t>(st.st_size) - good_end;
    if (ftruncate(fd_, good_end) != 0)
      return Status::errorf("cannot drop the torn last line of {}: {}", path_, std::strerror(errno));
  }
  return Status::ok();
}

Status ResultsFile::append(const Json& record) {
  const std::string line = record.dump(-1, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace) + "\n";
  size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::errorf("cannot write to {}: {}", path_, std::strerror(errno));
    written += static_cast<size_t>(n);
  }
  if (std::chrono::steady_clock::now() - last_sync_ >= std::chrono::seconds(1)) return sync();
  return Status::ok();
}

Status ResultsFile::sync() {
  last_sync_ = std::chrono::steady_clock::now();
  if (fdatasync(fd_) != 0) return Status::errorf("cannot flush {} to disk: {}", path_, std::strerror(errno));
  return Status::ok();
}

namespace {

Json record(const std::string& custom_id, Json response, Json error) {
  Json r = Json::object();
  r["id"] = openai::new_response_id("batch_req_");
  r["custom_id"] = custom_id;
  r["response"] = std::move(response);
  r["error"] = std::move(error);
  return r;
}

Json error_object(const std::string& code, const std::string& message) {
  Json e = Json::object();
  e["code"] = code;
  e["message"] = message;
  return e;
}

}  // namespace

Json answer_record(const std::string& custom_id, int status_code, Json body) {
  Json response = Json::object();
  response["status_code"] = status_code;
  response["request_id"] = openai::new_response_id("req_");
  response["body"] = std::move(body);
  return record(custom_id, std::move(response), nullptr);
}

Json api_error_record(const std::string& custom_id, const openai::ApiError& error) {
  Json r = answer_record(custom_id, error.http_status, error.body());
  r["error"] = error_object(error.code.empty() ? error.type : error.code, error.message);
  return r;
}

Json line_error_record(const std::string& custom_id, const std::string& code, const std::string& message) {
  return record(custom_id, nullptr, error_object(code, message));
}

}  // namespace hearth::tools
