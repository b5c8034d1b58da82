// Checked reading of a Hugging Face config.json into typed fields. The first problem is kept
// and reported with the field name, what was expected and what was found; later reads become
// no-ops, so an architecture reads its whole config and checks status() once.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/base/status.h"

namespace hearth {

class ConfigReader {
 public:
  ConfigReader(const nlohmann::json& config, std::string source)
      : j_(config), source_(std::move(source)) {}

  int64_t require_int(const char* key);
  int64_t get_int(const char* key, int64_t fallback);
  double require_double(const char* key);
  double get_double(const char* key, double fallback);
  bool get_bool(const char* key, bool fallback);
  std::string get_string(const char* key, const std::string& fallback);
  std::vector<int64_t> get_int_list(const char* key);  // [] when absent or null
  // Integer or null; nullopt when absent or null.
  std::optional<int64_t> get_optional_int(const char* key);
  bool has(const char* key) const { return j_.contains(key) && !j_[key].is_null(); }
  const nlohmann::json& json() const { return j_; }

  // Records a semantic problem (e.g. a value out of range) in the same way.
  void fail(const std::string& message);
  void check(bool ok, const std::string& message) { if (!ok) fail(message); }
  Status status() const { return status_; }

 private:
  const nlohmann::json* find(const char* key) const;
  void wrong_type(const char* key, const char* expected);

  const nlohmann::json& j_;
  std::string source_;
  Status status_;
};

}  // namespace hearth
