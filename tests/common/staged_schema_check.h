// A small JSON Schema checker for tests: the subset the project's schema files use (type,
// required, properties, items, enum, const, minimum, maximum, minItems). Returns the problems
// found, each with its JSON path; empty = valid.
// Not a general validator: $ref, oneOf, patterns and formats are not supported (and not used).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hearth::testing {

inline bool schema_type_matches(const std::string& type, const nlohmann::json& v) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "integer") return v.is_number_integer();
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  if (type == "null") return v.is_null();
  return false;
}

inline void check_schema(const nlohmann::json& schema, const nlohmann::json& v, const std::string& path,
                         std::vector<std::string>& problems) {
  if (schema.contains("type")) {
    const auto& t = schema["type"];
    bool ok = false;
    if (t.is_string()) ok = schema_type_matches(t.get<std::string>(), v);
    else
      for (const auto& x : t) ok = ok || schema_type_matches(x.get<std::string>(), v);
    if (!ok) {
      problems.push_back(path + ": expected type " + t.dump() + ", got " + v.type_name());
      return;
    }
  }
  if (schema.contains("const") && v != schema["const"])
    problems.push_back(path + ": expected " + schema["const"].dump() + ", got " + v.dump());
  if (schema.contains("enum")) {
    bool found = false;
    for (const auto& e : schema["enum"]) found = found || e == v;
    if (!found) problems.push_back(path + ": " + v.dump() + " is not one of " + schema["enum"].dump());
  }
  if (v.is_number() && schema.contains("minimum") && v.get<double>() < schema["minimum"].get<double>())
    problems.push_back(path + ": " + v.dump() + " < minimum " + schema["minimum"].dump());
  if (v.is_number() && schema.contains("maximum") && v.get<double>() > schema["maximum"].get<double>())
    problems.push_back(path + ": " + v.dump() + " > maximum " + schema["maximum"].dump());
  if (v.is_object()) {
    for (const auto& r : schema.value("required", nlohmann::json::array()))
      if (!v.contains(r.get<std::string>())) problems.push_back(path + ": missing required key " + r.dump());
    if (schema.contains("properties"))
      for (const auto& [k, sub] : schema["properties"].items())
        if (v.contains(k)) check_schema(sub, v[k], path + "." + k, problems);
  }
  if (v.is_array()) {
    if (schema.contains("minItems") && v.size() < schema["minItems"].get<size_t>())
      problems.push_back(path + ": " + std::to_string(v.size()) + " items, fewer than " + schema["minItems"].dump());
    if (schema.contains("items"))
      for (size_t i = 0; i < v.size(); ++i) check_schema(schema["items"], v[i], path + "[" + std::to_string(i) + "]", problems);
  }
}

inline std::vector<std::string> check_schema(const nlohmann::json& schema, const nlohmann::json& v) {
  std::vector<std::string> problems;
  check_schema(schema, v, "$", problems);
  return problems;
}

}  // namespace hearth::testing
