// Built-in behaviour of the chat-template interpreter: Python operators, attribute and
// item access (incl. str/list/dict methods such as startswith, split, strip(chars),
// items, get, append), slicing, Jinja filters and tests.
// Not here: control flow and scopes (interpreter.cpp).
#pragma once

#include <string>

#include "src/jinja/value.h"

namespace hearth::jinja {

Value binary_op(const std::string& op, const Value& a, const Value& b);
// obj.name (Jinja getattr: methods first for str/list/dict, then dict keys).
Value get_attr(const Value& obj, const std::string& name);
// obj[key] (Jinja getitem: items first, then attributes).
Value get_item(const Value& obj, const Value& key);
Value slice(const Value& obj, const Value* start, const Value* stop, const Value* step);
bool contains(const Value& container, const Value& item);

Value apply_filter(const std::string& name, const Value& v, CallArgs& args);
bool apply_test(const std::string& name, const Value& v, CallArgs& args);

// A bound str method (undefined if `name` is not one).
Value string_method(const std::string& s, const std::string& name);
// Python str.strip/lstrip/rstrip, used by filters too.
std::string py_strip(const std::string& s, const Value* chars, bool left, bool right);

}  // namespace hearth::jinja
