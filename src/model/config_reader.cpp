#include "src/model/config_reader.h"

namespace hearth {

const nlohmann::json* ConfigReader::find(const char* key) const {
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) return nullptr;
  return &*it;
}

void ConfigReader::fail(const std::string& message) {
  if (status_.is_ok()) status_ = Status::errorf("{}: {}", source_, message);
}

void ConfigReader::wrong_type(const char* key, const char* expected) {
  fail(fmt::format("field '{}' should be {}, found {}", key, expected, j_[key].dump()));
}

int64_t ConfigReader::require_int(const char* key) {
  const auto* v = find(key);
  if (!v) {
    fail(fmt::format("required field '{}' is missing (expected an integer)", key));
    return 0;
  }
  return get_int(key, 0);
}

int64_t ConfigReader::get_int(const char* key, int64_t fallback) {
  const auto* v = find(key);
  if (!v) return fallback;
  if (!v->is_number_integer()) {
    wrong_type(key, "an integer");
    return fallback;
  }
  return v->get<int64_t>();
}

double ConfigReader::require_double(const char* key) {
  if (!find(key)) {
    fail(fmt::format("required field '{}' is missing (expected a number)", key));
    return 0;
  }
  return get_double(key, 0);
}

double ConfigReader::get_double(const char* key, double fallback) {
  const auto* v = find(key);
  if (!v) return fallback;
  if (!v->is_number()) {
    wrong_type(key, "a number");
    return fallback;
  }
  return v->get<double>();
}

bool ConfigReader::get_bool(const char* key, bool fallback) {
  const auto* v = find(key);
  if (!v) return fallback;
  if (!v->is_boolean()) {
    wrong_type(key, "true or false");
    return fallback;
  }
  return v->get<bool>();
}

std::string ConfigReader::get_string(const char* key, const std::string& fallback) {
  const auto* v = find(key);
  if (!v) return fallback;
  if (!v->is_string()) {
    wrong_type(key, "a string");
    return fallback;
  }
  return v->get<std::string>();
}

std::vector<int64_t> ConfigReader::get_int_list(const char* key) {
  const auto* v = find(key);
  std::vector<int64_t> out;
  if (!v) return out;
  if (!v->is_array()) {
    wrong_type(key, "a list of integers");
    return out;
  }
  for (const auto& e : *v) {
    if (!e.is_number_integer()) {
      wrong_type(key, "a list of integers");
      return {};
    }
    out.push_back(e.get<int64_t>());
  }
  return out;
}

std::optional<int64_t> ConfigReader::get_optional_int(const char* key) {
  if (!find(key)) return std::nullopt;
  return get_int(key, 0);
}

}  // namespace hearth
