// Python operators, attribute/item access, slicing and the str/list/dict methods that
// chat templates call (str.split, str.strip(chars), dict.items, dict.get, list.append...).
// Semantics: CPython (unicode_strip, split without sep on whitespace runs, floor division
// and modulo sign rules). Strings are indexed and sliced by code point.
#include <algorithm>
#include <cctype>
#include <cmath>

#include "src/jinja/builtins.h"
#include "src/base/size.h"
#include "src/base/utf8.h"

namespace hearth::jinja {
namespace {

[[noreturn]] void type_error(const std::string& op, const Value& a, const Value& b) {
  throw Error("unsupported operand type(s) for " + op + ": '" + kind_name(a.kind) + "' and '" + kind_name(b.kind) + "'");
}

Value arith(const std::string& op, const Value& a, const Value& b) {
  if (!a.is_number() || !b.is_number()) type_error(op, a, b);
  const bool fl = a.kind == Kind::kFloat || b.kind == Kind::kFloat;
  if (op == "/") {
    if (b.as_double() == 0) throw Error("division by zero");
    return Value::number(a.as_double() / b.as_double());
  }
  if (op == "**") {
    if (!fl && b.as_int() >= 0) {
      int64_t r = 1;
      for (int64_t k = 0; k < b.as_int(); ++k) r *= a.as_int();
      return Value::integer(r);
    }
    return Value::number(std::pow(a.as_double(), b.as_double()));
  }
  if (fl) {
    const double x = a.as_double(), y = b.as_double();
    if (op == "+") return Value::number(x + y);
    if (op == "-") return Value::number(x - y);
    if (op == "*") return Value::number(x * y);
    if (y == 0) throw Error("division by zero");
    if (op == "//") return Value::number(std::floor(x / y));
    const double m = std::fmod(x, y);
    return Value::number((m != 0 && ((m < 0) != (y < 0))) ? m + y : m);
  }
  const int64_t x = a.as_int(), y = b.as_int();
  if (op == "+") return Value::integer(x + y);
  if (op == "-") return Value::integer(x - y);
  if (op == "*") return Value::integer(x * y);
  if (y == 0) throw Error("integer division or modulo by zero");
  int64_t q = x / y, m = x % y;
  if (m != 0 && ((m < 0) != (y < 0))) --q, m += y;
  return Value::integer(op == "//" ? q : m);
}

Value repeat(const Value& seq, int64_t n) {
  if (seq.is_string()) {
    std::string out;
    for (int64_t k = 0; k < n; ++k) out += seq.s;
    return Value::string(out);
  }
  List out;
  for (int64_t k = 0; k < n; ++k) out.insert(out.end(), seq.list->begin(), seq.list->end());
  return Value::make_list(std::move(out), seq.kind == Kind::kTuple);
}

// Python index normalization for length n; returns false if out of range.
bool norm_index(int64_t& i, int64_t n) {
  if (i < 0) i += n;
  return i >= 0 && i < n;
}

int64_t arg_int(const CallArgs& a, size_t i, const char* name, int64_t def) {
  const Value* v = a.get(i, name);
  return (v && !v->is_none()) ? v->as_int() : def;
}

Value list_method(const Value& obj, const std::string& name) {
  auto list = obj.list;
  if (name == "append") {
    return Value::function([list](CallArgs& a) {
      if (a.args.size() != 1) throw Error("append() takes exactly one argument");
      list->push_back(a.args[0]);
      return Value::none();
    });
  }
  if (name == "extend") {
    return Value::function([list](CallArgs& a) {
      if (a.args.size() != 1) throw Error("extend() takes exactly one argument");
      for (const auto& e : iterate(a.args[0])) list->push_back(e);
      return Value::none();
    });
  }
  if (name == "pop") {
    return Value::function([list](CallArgs& a) {
      int64_t i = arg_int(a, 0, "index", -1);
      if (!norm_index(i, static_cast<int64_t>(list->size()))) throw Error("pop index out of range");
      Value v = (*list)[to_size(i)];
      list->erase(list->begin() + i);
      return v;
    });
  }
  if (name == "insert") {
    return Value::function([list](CallArgs& a) {
      if (a.args.size() != 2) throw Error("insert() takes exactly two arguments");
      int64_t i = std::clamp<int64_t>(a.args[0].as_int(), -static_cast<int64_t>(list->size()), static_cast<int64_t>(list->size()));
      if (i < 0) i += static_cast<int64_t>(list->size());
      list->insert(list->begin() + i, a.args[1]);
      return Value::none();
    });
  }
  if (name == "index" || name == "count") {
    const bool idx = name == "index";
    return Value::function([list, idx](CallArgs& a) {
      if (a.args.empty()) throw Error("index()/count() takes an argument");
      int64_t n = 0;
      for (size_t k = 0; k < list->size(); ++k) {
        if (py_equal((*list)[k], a.args[0])) {
          if (idx) return Value::integer(static_cast<int64_t>(k));
          ++n;
        }
      }
      if (idx) throw Error("value is not in list");
      return Value::integer(n);
    });
  }
  return Value::undefined(name);
}

Value dict_method(const Value& obj, const std::string& name) {
  auto d = obj;
  if (name == "items") {
    return Value::function([d](CallArgs&) {
      List out;
      for (const auto& [k, v] : *d.dict) out.push_back(Value::make_list({Value::string(k), v}, true));
      return Value::make_list(std::move(out));
    });
  }
  if (name == "keys" || name == "values") {
    const bool keys = name == "keys";
    return Value::function([d, keys](CallArgs&) {
      List out;
      for (const auto& [k, v] : *d.dict) out.push_back(keys ? Value::string(k) : v);
      return Value::make_list(std::move(out));
    });
  }
  if (name == "get") {
    return Value::function([d](CallArgs& a) {
      const Value* key = a.get(0, "key");
      if (!key) throw Error("get() takes a key");
      const Value* v = key->is_string() ? d.find(key->s) : d.find(py_str(*key));
      if (v) return *v;
      const Value* def = a.get(1, "default");
      return def ? *def : Value::none();
    });
  }
  if (name == "update") {
    return Value::function([d](CallArgs& a) mutable {
      if (!a.args.empty() && a.args[0].dict) for (const auto& [k, v] : *a.args[0].dict) d.set(k, v);
      for (const auto& [k, v] : a.kwargs) d.set(k, v);
      return Value::none();
    });
  }
  return Value::undefined(name);
}

}  // namespace

std::string py_strip(const std::string& s, const Value* chars, bool left, bool right) {
  const std::u32string u = utf8_to_u32(s);
  std::u32string set;
  const bool ws = !chars || chars->is_none() || chars->is_undefined();
  if (!ws) {
    if (!chars->is_string()) throw Error("strip arg must be None or str");
    set = utf8_to_u32(chars->s);
  }
  auto strip_it = [&](char32_t c) { return ws ? is_python_space(c) : set.find(c) != std::u32string::npos; };
  size_t b = 0, e = u.size();
  if (left) while (b < e && strip_it(u[b])) ++b;
  if (right) while (e > b && strip_it(u[e - 1])) --e;
  return u32_to_utf8(std::u32string_view(u).substr(b, e - b));
}

bool contains(const Value& c, const Value& item) {
  if (c.is_string()) {
    if (!item.is_string()) throw Error("'in <string>' requires string as left operand");
    return c.s.find(item.s) != std::string::npos;
  }
  if (c.is_sequence()) {
    for (const auto& e : *c.list) if (py_equal(e, item)) return true;
    return false;
  }
  if (c.kind == Kind::kDict || c.kind == Kind::kNamespace) return item.is_string() && c.find(item.s) != nullptr;
  if (c.is_undefined()) throw Error("'" + c.s + "' is undefined");
  throw Error(std::string("argument of type '") + kind_name(c.kind) + "' is not iterable");
}

Value binary_op(const std::string& op, const Value& a, const Value& b) {
  if (op == "==") return Value::boolean(py_equal(a, b));
  if (op == "!=") return Value::boolean(!py_equal(a, b));
  if (op == "<") return Value::boolean(py_less(a, b));
  if (op == ">") return Value::boolean(py_less(b, a));
  if (op == "<=") return Value::boolean(!py_less(b, a));
  if (op == ">=") return Value::boolean(!py_less(a, b));
  if (op == "in") return Value::boolean(contains(b, a));
  if (op == "notin") return Value::boolean(!contains(b, a));
  if (op == "~") return Value::string(py_str(a) + py_str(b));
  if (a.is_undefined() || b.is_undefined()) {
    throw Error("'" + (a.is_undefined() ? a.s : b.s) + "' is undefined (used with operator " + op + ")");
  }
  if (op == "+") {
    if (a.is_string() && b.is_string()) return Value::string(a.s + b.s);
    if (a.is_sequence() && b.kind == a.kind) {
      List out = *a.list;
      out.insert(out.end(), b.list->begin(), b.list->end());
      return Value::make_list(std::move(out), a.kind == Kind::kTuple);
    }
  }
  if (op == "*") {
    if ((a.is_string() || a.is_sequence()) && (b.kind == Kind::kInt || b.kind == Kind::kBool)) return repeat(a, b.as_int());
    if ((b.is_string() || b.is_sequence()) && (a.kind == Kind::kInt || a.kind == Kind::kBool)) return repeat(b, a.as_int());
  }
  if (op == "%" && a.is_string()) throw Error("printf-style '%' string formatting is not supported; use ~ or format()");
  return arith(op, a, b);
}

Value get_attr(const Value& obj, const std::string& name) {
  switch (obj.kind) {
    case Kind::kString: return string_method(obj.s, name);
    case Kind::kList: case Kind::kTuple: return list_method(obj, name);
    case Kind::kDict: {
      Value m = dict_method(obj, name);
      if (!m.is_undefined()) return m;
      const Value* v = obj.find(name);
      return v ? *v : Value::undefined(name);
    }
    case Kind::kNamespace: {
      const Value* v = obj.find(name);
      return v ? *v : Value::undefined(name);
    }
    case Kind::kUndefined:
      throw Error("'" + (obj.s.empty() ? std::string("value") : obj.s) + "' is undefined (cannot read attribute '" + name + "')");
    default: return Value::undefined(name);
  }
}

Value get_item(const Value& obj, const Value& key) {
  switch (obj.kind) {
    case Kind::kDict: case Kind::kNamespace: {
      const Value* v = obj.find(key.is_string() ? key.s : py_str(key));
      if (v) return *v;
      return key.is_string() ? get_attr(obj, key.s) : Value::undefined(py_str(key));
    }
    case Kind::kList: case Kind::kTuple: {
      if (!key.is_number()) throw Error(std::string("list indices must be integers, not ") + kind_name(key.kind));
      int64_t i = key.as_int();
      if (!norm_index(i, static_cast<int64_t>(obj.list->size()))) return Value::undefined(std::string("[").append(py_str(key)).append("]"));
      return (*obj.list)[to_size(i)];
    }
    case Kind::kString: {
      if (!key.is_number()) return Value::undefined(py_str(key));
      const std::u32string u = utf8_to_u32(obj.s);
      int64_t i = key.as_int();
      if (!norm_index(i, static_cast<int64_t>(u.size()))) return Value::undefined(std::string("[").append(py_str(key)).append("]"));
      return Value::string(u32_to_utf8(u.substr(to_size(i), 1)));
    }
    case Kind::kUndefined:
      throw Error("'" + (obj.s.empty() ? std::string("value") : obj.s) + "' is undefined (cannot index it with " + py_repr(key) + ")");
    default:  // Jinja's getitem falls back to getattr, which is undefined here
      return Value::undefined(py_str(key));
  }
}

Value slice(const Value& obj, const Value* start, const Value* stop, const Value* step) {
  auto opt = [](const Value* v) { return v && !v->is_none() && !v->is_undefined(); };
  const int64_t st = opt(step) ? step->as_int() : 1;
  if (st == 0) throw Error("slice step cannot be zero");
  std::u32string u;
  int64_t n;
  if (obj.is_string()) u = utf8_to_u32(obj.s), n = static_cast<int64_t>(u.size());
  else if (obj.is_sequence()) n = static_cast<int64_t>(obj.list->size());
  else throw Error(std::string("'") + kind_name(obj.kind) + "' object cannot be sliced");
  // CPython PySlice_AdjustIndices.
  auto adjust = [&](const Value* v, int64_t def) {
    if (!opt(v)) return def;
    int64_t i = v->as_int();
    if (i < 0) i = std::max<int64_t>(i + n, st < 0 ? -1 : 0);
    else if (i >= n) i = st < 0 ? n - 1 : n;
    return i;
  };
  const int64_t b = adjust(start, st < 0 ? n - 1 : 0), e = adjust(stop, st < 0 ? -1 : n);
  std::vector<int64_t> idx;
  for (int64_t i = b; st > 0 ? i < e : i > e; i += st) idx.push_back(i);
  if (obj.is_string()) {
    std::u32string out;
    for (int64_t i : idx) out.push_back(u[to_size(i)]);
    return Value::string(u32_to_utf8(out));
  }
  List out;
  for (int64_t i : idx) out.push_back((*obj.list)[to_size(i)]);
  return Value::make_list(std::move(out), obj.kind == Kind::kTuple);
}

}  // namespace hearth::jinja
