// Values of the chat-template interpreter with Python semantics: undefined, None, bool,
// int, float, str, list/tuple, dict (insertion-ordered), namespace, callables. Lists and
// dicts are shared references as in Python (so `ns.x = ...` and `list.append` mutate).
// Also: Python str()/repr(), json.dumps (tojson), equality, ordering, truthiness.
// Not here: operators and filters (builtins.h, operators.cpp, filters.cpp), evaluation (interpreter.cpp).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace hearth::jinja {

// Raised inside the interpreter; ChatTemplate turns it into a Status (never escapes).
struct Error : std::runtime_error {
  explicit Error(const std::string& m, int line = 0) : std::runtime_error(m), line(line) {}
  int line;
};

struct Value;
using List = std::vector<Value>;
using Dict = std::vector<std::pair<std::string, Value>>;

struct CallArgs {
  std::vector<Value> args;
  std::vector<std::pair<std::string, Value>> kwargs;
  const Value* kwarg(const std::string& name) const;
  // Positional argument i, or keyword `name`, or nullptr.
  const Value* get(size_t i, const std::string& name) const;
};
using Function = std::function<Value(CallArgs&)>;

enum class Kind { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kTuple, kDict, kNamespace, kFunction };

struct Value {
  Kind kind = Kind::kUndefined;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string s;                  // kString; for kUndefined: the name that was missing
  std::shared_ptr<List> list;     // kList, kTuple
  std::shared_ptr<Dict> dict;     // kDict, kNamespace
  std::shared_ptr<Function> fn;   // kFunction

  Value() = default;
  static Value undefined(std::string name = "") { Value v; v.s = std::move(name); return v; }
  static Value none() { Value v; v.kind = Kind::kNone; return v; }
  static Value boolean(bool x) { Value v; v.kind = Kind::kBool; v.b = x; return v; }
  static Value integer(int64_t x) { Value v; v.kind = Kind::kInt; v.i = x; return v; }
  static Value number(double x) { Value v; v.kind = Kind::kFloat; v.f = x; return v; }
  static Value string(std::string x) { Value v; v.kind = Kind::kString; v.s = std::move(x); return v; }
  static Value make_list(List items = {}, bool tuple = false) {
    Value v; v.kind = tuple ? Kind::kTuple : Kind::kList; v.list = std::make_shared<List>(std::move(items)); return v;
  }
  static Value make_dict(Dict items = {}, bool ns = false) {
    Value v; v.kind = ns ? Kind::kNamespace : Kind::kDict; v.dict = std::make_shared<Dict>(std::move(items)); return v;
  }
  static Value function(Function f) { Value v; v.kind = Kind::kFunction; v.fn = std::make_shared<Function>(std::move(f)); return v; }
  // JSON objects keep their key order (use ordered_json to keep the caller's order, as
  // Python's json.loads does; nlohmann::json sorts keys).
  template <typename Json>
  static Value from_json(const Json& j);

  bool is_undefined() const { return kind == Kind::kUndefined; }
  bool is_none() const { return kind == Kind::kNone; }
  bool is_string() const { return kind == Kind::kString; }
  bool is_number() const { return kind == Kind::kInt || kind == Kind::kFloat || kind == Kind::kBool; }
  bool is_sequence() const { return kind == Kind::kList || kind == Kind::kTuple; }
  bool is_mapping() const { return kind == Kind::kDict; }
  bool truthy() const;
  double as_double() const;
  int64_t as_int() const;  // bool/int (float truncated)

  // Dict/namespace lookup; nullptr if absent.
  const Value* find(const std::string& key) const;
  void set(const std::string& key, Value v);  // dict/namespace insert or replace
};

const char* kind_name(Kind k);
std::string py_str(const Value& v);   // Python str()
std::string py_repr(const Value& v);  // Python repr()
std::string py_float_repr(double d);
// json.dumps(v, ensure_ascii=False, indent=indent (<0: none), sort_keys) with the default
// separators (", ", ": "), or "," between items when indented.
std::string to_json(const Value& v, int indent = -1, bool sort_keys = false);
bool py_equal(const Value& a, const Value& b);
// Python ordering (<); throws Error for incomparable types.
bool py_less(const Value& a, const Value& b);
// Items of an iterable (list/tuple, dict keys, string characters); throws otherwise.
List iterate(const Value& v);
// Number of code points of a UTF-8 string.
size_t utf8_length(const std::string& s);

template <typename Json>
Value Value::from_json(const Json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return none();
    case nlohmann::json::value_t::boolean: return boolean(j.template get<bool>());
    case nlohmann::json::value_t::number_integer: return integer(j.template get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: return integer(static_cast<int64_t>(j.template get<uint64_t>()));
    case nlohmann::json::value_t::number_float: return number(j.template get<double>());
    case nlohmann::json::value_t::string: return string(j.template get<std::string>());
    case nlohmann::json::value_t::array: {
      List items;
      for (const auto& e : j) items.push_back(from_json(e));
      return make_list(std::move(items));
    }
    case nlohmann::json::value_t::object: {
      Dict items;
      for (auto it = j.begin(); it != j.end(); ++it) items.emplace_back(it.key(), from_json(it.value()));
      return make_dict(std::move(items));
    }
    default: return none();
  }
}

}  // namespace hearth::jinja
