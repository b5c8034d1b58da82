// `hearth batch` results: the output file, appended one record per line and resumable. Opening
// it takes an exclusive lock (two jobs never write one file), drops a torn last line that a
// killed process left (no newline, or not JSON), and lists the custom_ids already answered,
// so a rerun skips them. Records are OpenAI's batch output lines.
// Not here: the response bodies (src/engine/openai_api.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "src/base/status.h"
#include "src/engine/openai_api.h"

namespace hearth::tools {

// error.code of the record a repeated custom_id gets (its first line's record is the answer).
inline constexpr const char* kDuplicateCustomId = "duplicate_custom_id";

class ResultsFile {
 public:
  // What the file holds for one custom_id.
  struct Recorded {
    bool answered = false;         // a record of its own (success or error)
    int64_t duplicate_errors = 0;  // records for later lines repeating it
  };

  // Creates the file, or recovers an existing one.
  static Result<std::unique_ptr<ResultsFile>> open(const std::string& path);
  ~ResultsFile();
  ResultsFile(const ResultsFile&) = delete;
  ResultsFile& operator=(const ResultsFile&) = delete;

  std::unordered_map<std::string, Recorded>& recorded() { return recorded_; }
  int64_t records() const { return records_; }        // complete records found at open
  int64_t torn_bytes() const { return torn_bytes_; }  // bytes of a torn last line dropped at open

  // Appends one record and its newline in one write. Data reach the disk at most a second
  // later (a killed process loses nothing written; a crashed machine at most that second).
  Status append(const openai::Json& record);
  Status sync();

 private:
  ResultsFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  Status recover();

  std::string path_;
  int fd_ = -1;
  std::unordered_map<std::string, Recorded> recorded_;
  int64_t records_ = 0;
  int64_t torn_bytes_ = 0;
  std::chrono::steady_clock::time_point last_sync_ = std::chrono::steady_clock::now();
};

// {"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error": null}
openai::Json answer_record(const std::string& custom_id, int status_code, openai::Json body);
// An error answer of the API: the response holds its status and error body; error repeats
// its code and message, so every failed record has a non-null error.
openai::Json api_error_record(const std::string& custom_id, const openai::ApiError& error);
// A line that never reached the API: "response": null, "error": {"code", "message"}.
openai::Json line_error_record(const std::string& custom_id, const std::string& code, const std::string& message);

}  // namespace hearth::tools
