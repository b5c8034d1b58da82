// Jinja filters and tests used by chat templates (jinja2/filters.py, jinja2/tests.py),
// plus transformers' tojson (json.dumps(ensure_ascii=False), optional indent). An
// unknown filter or test is an error naming it.
#include <algorithm>
#include <cmath>
#include <cctype>

#include "src/jinja/builtins.h"
#include "src/base/utf8.h"

namespace hearth::jinja {
namespace {

// Attribute path "a.b" on a value (filters' attribute= argument).
Value attr_path(const Value& v, const std::string& path) {
  Value cur = v;
  size_t last = 0;
  while (true) {
    const size_t dot = path.find('.', last);
    const std::string part = path.substr(last, dot == std::string::npos ? std::string::npos : dot - last);
    if (!part.empty() && std::isdigit(static_cast<unsigned char>(part[0]))) cur = get_item(cur, Value::integer(std::stoll(part)));
    else cur = get_item(cur, Value::string(part));
    if (dot == std::string::npos) return cur;
    last = dot + 1;
  }
}

// Runs test `args[first]` with the remaining args on v (select/reject/selectattr).
bool run_test_args(const Value& v, CallArgs& a, size_t first) {
  if (a.args.size() <= first) return v.truthy();
  CallArgs rest;
  rest.args.assign(a.args.begin() + static_cast<ptrdiff_t>(first) + 1, a.args.end());
  return apply_test(py_str(a.args[first]), v, rest);
}

std::string capitalize(const std::string& s) {
  std::string out;
  bool first = true;
  for (size_t i = 0; i < s.size();) {
    char32_t c = utf8_next(s, i);
    if (c < 0x80) c = static_cast<char32_t>(first ? std::toupper(static_cast<int>(c)) : std::tolower(static_cast<int>(c)));
    utf8_append(out, c);
    first = false;
  }
  return out;
}

std::string title(const std::string& s) {
  std::string out;
  bool start = true;
  for (unsigned char c : s) {
    if (std::isalpha(c)) {
      out.push_back(static_cast<char>(start ? std::toupper(c) : std::tolower(c)));
      start = false;
    } else {
      out.push_back(static_cast<char>(c));
      start = c < 0x80 && !std::isalnum(c);
    }
  }
  return out;
}

std::string indent(const std::string& s, const Value* width, bool first, bool blank) {
  const std::string pad = !width ? std::string(4, ' ') : (width->is_string() ? width->s : std::string(static_cast<size_t>(width->as_int()), ' '));
  std::string out;
  size_t last = 0;
  bool is_first = true;
  while (true) {
    const size_t nl = s.find('\n', last);
    const std::string line = s.substr(last, nl == std::string::npos ? std::string::npos : nl - last);
    const bool add = is_first ? first : (blank || !line.empty());
    out += (add ? pad : "") + line;
    if (nl == std::string::npos) break;
    out += "\n";
    last = nl + 1;
    is_first = false;
  }
  return out;
}

Value sorted(const Value& v, CallArgs& a) {
  List items = iterate(v);
  const Value* rev = a.get(0, "reverse");
  const Value* attr = a.kwarg("attribute");
  const Value* cs = a.get(1, "case_sensitive");
  const bool case_sensitive = cs && cs->truthy();
  auto key = [&](const Value& x) {
    Value k = attr ? attr_path(x, py_str(*attr)) : x;
    if (k.is_string() && !case_sensitive) {
      std::string low = k.s;
      for (auto& ch : low) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      return Value::string(low);
    }
    return k;
  };
  std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) { return py_less(key(x), key(y)); });
  if (rev && rev->truthy()) std::reverse(items.begin(), items.end());
  return Value::make_list(std::move(items));
}

}  // namespace

Value apply_filter(const std::string& name, const Value& v, CallArgs& a) {
  if (name == "trim") return Value::string(py_strip(py_str(v), a.get(0, "chars"), true, true));
  if (name == "length" || name == "count") {
    if (v.is_string()) return Value::integer(static_cast<int64_t>(utf8_length(v.s)));
    if (v.is_sequence()) return Value::integer(static_cast<int64_t>(v.list->size()));
    if (v.dict) return Value::integer(static_cast<int64_t>(v.dict->size()));
    if (v.is_undefined()) return Value::integer(0);
    throw Error(std::string("object of type '") + kind_name(v.kind) + "' has no len()");
  }
  if (name == "tojson") {
    const Value* ind = a.get(0, "indent");
    const Value* sk = a.kwarg("sort_keys");
    return Value::string(to_json(v, ind && !ind->is_none() ? static_cast<int>(ind->as_int()) : -1, sk && sk->truthy()));
  }
  if (name == "string") return Value::string(py_str(v));
  if (name == "safe") return v;
  if (name == "list") return Value::make_list(iterate(v));
  if (name == "lower" || name == "upper") {
    CallArgs none;
    return (*get_attr(Value::string(py_str(v)), name).fn)(none);
  }
  if (name == "capitalize") return Value::string(capitalize(py_str(v)));
  if (name == "title") return Value::string(title(py_str(v)));
  if (name == "replace") {
    Value f = get_attr(Value::string(py_str(v)), "replace");
    return (*f.fn)(a);
  }
  if (name == "join") {
    const Value* sep = a.get(0, "d");
    const Value* attr = a.get(1, "attribute");
    std::string out;
    bool first = true;
    for (const auto& e : iterate(v)) {
      if (!first && sep) out += py_str(*sep);
      first = false;
      out += py_str(attr ? attr_path(e, py_str(*attr)) : e);
    }
    return Value::string(out);
  }
  if (name == "default" || name == "d") {
    const Value* def = a.get(0, "default_value");
    const Value* boolean = a.get(1, "boolean");
    const bool use_default = v.is_undefined() || (boolean && boolean->truthy() && !v.truthy());
    return use_default ? (def ? *def : Value::string("")) : v;
  }
  if (name == "first" || name == "last") {
    List items = iterate(v);
    if (items.empty()) return Value::undefined(name);
    return name == "first" ? items.front() : items.back();
  }
  if (name == "reverse") {
    if (v.is_string()) {
      std::u32string u = utf8_to_u32(v.s);
      std::reverse(u.begin(), u.end());
      return Value::string(u32_to_utf8(u));
    }
    List items = iterate(v);
    std::reverse(items.begin(), items.end());
    return Value::make_list(std::move(items));
  }
  if (name == "int") {
    if (v.is_number()) return Value::integer(v.as_int());
    if (v.is_string()) {
      try { return Value::integer(std::stoll(py_strip(v.s, nullptr, true, true))); } catch (...) {}
    }
    const Value* def = a.get(0, "default");
    return def ? *def : Value::integer(0);
  }
  if (name == "float") {
    if (v.is_number()) return Value::number(v.as_double());
    if (v.is_string()) {
      try { return Value::number(std::stod(v.s)); } catch (...) {}
    }
    const Value* def = a.get(0, "default");
    return def ? *def : Value::number(0);
  }
  if (name == "abs") return v.kind == Kind::kFloat ? Value::number(std::fabs(v.f)) : Value::integer(std::llabs(v.as_int()));
  if (name == "round") {
    const int64_t prec = a.get(0, "precision") ? a.get(0, "precision")->as_int() : 0;
    const double scale = std::pow(10.0, static_cast<double>(prec));
    return Value::number(std::round(v.as_double() * scale) / scale);
  }
  if (name == "items") {
    if (!v.dict) throw Error("items filter expects a mapping");
    CallArgs none;
    return (*get_attr(v, "items").fn)(none);
  }
  if (name == "dictsort") {
    if (!v.dict) throw Error("dictsort filter expects a mapping");
    List items;
    for (const auto& [k, val] : *v.dict) items.push_back(Value::make_list({Value::string(k), val}, true));
    std::stable_sort(items.begin(), items.end(), [](const Value& x, const Value& y) { return (*x.list)[0].s < (*y.list)[0].s; });
    return Value::make_list(std::move(items));
  }
  if (name == "sort") return sorted(v, a);
  if (name == "unique") {
    List out;
    for (const auto& e : iterate(v)) {
      if (std::none_of(out.begin(), out.end(), [&](const Value& o) { return py_equal(o, e); })) out.push_back(e);
    }
    return Value::make_list(std::move(out));
  }
  if (name == "min" || name == "max") {
    List items = iterate(v);
    if (items.empty()) return Value::undefined(name);
    Value best = items[0];
    for (const auto& e : items) if (name == "min" ? py_less(e, best) : py_less(best, e)) best = e;
    return best;
  }
  if (name == "sum") {
    const Value* attr = a.kwarg("attribute");
    const Value* start = a.kwarg("start");
    Value total = start ? *start : Value::integer(0);
    for (const auto& e : iterate(v)) total = binary_op("+", total, attr ? attr_path(e, py_str(*attr)) : e);
    return total;
  }
  if (name == "map") {
    List out;
    const Value* attr = a.kwarg("attribute");
    for (const auto& e : iterate(v)) {
      if (attr) {
        Value x = attr_path(e, py_str(*attr));
        const Value* def = a.kwarg("default");
        out.push_back(x.is_undefined() && def ? *def : x);
      } else {
        if (a.args.empty()) throw Error("map filter needs a filter name or attribute=");
        CallArgs rest;
        rest.args.assign(a.args.begin() + 1, a.args.end());
        out.push_back(apply_filter(py_str(a.args[0]), e, rest));
      }
    }
    return Value::make_list(std::move(out));
  }
  if (name == "select" || name == "reject" || name == "selectattr" || name == "rejectattr") {
    const bool want = name == "select" || name == "selectattr";
    const bool by_attr = name == "selectattr" || name == "rejectattr";
    List out;
    for (const auto& e : iterate(v)) {
      if (by_attr && a.args.empty()) throw Error(name + " filter needs an attribute name");
      const Value subject = by_attr ? attr_path(e, py_str(a.args[0])) : e;
      if (run_test_args(subject, a, by_attr ? 1 : 0) == want) out.push_back(e);
    }
    return Value::make_list(std::move(out));
  }
  if (name == "indent") {
    const Value* first = a.get(1, "first");
    const Value* blank = a.get(2, "blank");
    return Value::string(indent(py_str(v), a.get(0, "width"), first && first->truthy(), blank && blank->truthy()));
  }
  if (name == "wordcount") {
    CallArgs none;
    return Value::integer(static_cast<int64_t>((*get_attr(Value::string(py_str(v)), "split").fn)(none).list->size()));
  }
  if (name == "escape" || name == "e") {
    std::string out;
    for (char c : py_str(v)) {
      switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&#34;"; break;
        case '\'': out += "&#39;"; break;
        default: out.push_back(c);
      }
    }
    return Value::string(out);
  }
  if (name == "batch") {
    const int64_t n = a.get(0, "linecount") ? a.get(0, "linecount")->as_int() : 1;
    if (n <= 0) throw Error("batch size must be positive");
    List out, cur;
    for (const auto& e : iterate(v)) {
      cur.push_back(e);
      if (static_cast<int64_t>(cur.size()) == n) out.push_back(Value::make_list(std::move(cur))), cur.clear();
    }
    if (!cur.empty()) out.push_back(Value::make_list(std::move(cur)));
    return Value::make_list(std::move(out));
  }
  throw Error("unsupported filter '" + name + "'");
}

bool apply_test(const std::string& name, const Value& v, CallArgs& a) {
  auto arg = [&]() -> const Value& {
    if (a.args.empty()) throw Error("test '" + name + "' needs an argument");
    return a.args[0];
  };
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "string") return v.is_string();
  if (name == "number") return v.kind == Kind::kInt || v.kind == Kind::kFloat;
  if (name == "integer") return v.kind == Kind::kInt;
  if (name == "float") return v.kind == Kind::kFloat;
  if (name == "boolean") return v.kind == Kind::kBool;
  if (name == "true") return v.kind == Kind::kBool && v.b;
  if (name == "false") return v.kind == Kind::kBool && !v.b;
  if (name == "mapping") return v.kind == Kind::kDict;
  if (name == "iterable") return v.is_sequence() || v.is_string() || v.kind == Kind::kDict;
  if (name == "sequence") return v.is_sequence() || v.is_string() || v.kind == Kind::kDict;
  if (name == "callable") return v.kind == Kind::kFunction;
  if (name == "odd") return v.as_int() % 2 != 0;
  if (name == "even") return v.as_int() % 2 == 0;
  if (name == "divisibleby") return arg().as_int() != 0 && v.as_int() % arg().as_int() == 0;
  if (name == "eq" || name == "equalto" || name == "==") return py_equal(v, arg());
  if (name == "ne" || name == "!=") return !py_equal(v, arg());
  if (name == "lt" || name == "lessthan" || name == "<") return py_less(v, arg());
  if (name == "le" || name == "<=") return !py_less(arg(), v);
  if (name == "gt" || name == "greaterthan" || name == ">") return py_less(arg(), v);
  if (name == "ge" || name == ">=") return !py_less(v, arg());
  if (name == "in") return contains(arg(), v);
  if (name == "sameas") {
    const Value& o = arg();
    if (v.kind != o.kind) return false;
    if (v.list || v.dict) return v.list == o.list && v.dict == o.dict;
    return py_equal(v, o);
  }
  if (name == "lower" || name == "upper") {
    if (!v.is_string()) return false;
    CallArgs none;
    return (*get_attr(v, name == "lower" ? "islower" : "isupper").fn)(none).truthy();
  }
  throw Error("unsupported test '" + name + "'");
}

}  // namespace hearth::jinja
