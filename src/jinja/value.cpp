// Python semantics for template values: str()/repr(), json.dumps, ==, <, iteration.
// References: CPython Objects/floatobject.c (repr: shortest round-trip, exponent form
// outside 1e-4 <= |x| < 1e16) and Lib/json/encoder.py (escaping with ensure_ascii=False).
#include "src/jinja/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "src/base/size.h"
#include "src/base/utf8.h"

namespace hearth::jinja {

const Value* CallArgs::kwarg(const std::string& name) const {
  for (const auto& [k, v] : kwargs) if (k == name) return &v;
  return nullptr;
}

const Value* CallArgs::get(size_t i, const std::string& name) const {
  if (i < args.size()) return &args[i];
  return kwarg(name);
}

bool Value::truthy() const {
  switch (kind) {
    case Kind::kUndefined: case Kind::kNone: return false;
    case Kind::kBool: return b;
    case Kind::kInt: return i != 0;
    case Kind::kFloat: return f != 0;
    case Kind::kString: return !s.empty();
    case Kind::kList: case Kind::kTuple: return !list->empty();
    case Kind::kDict: return !dict->empty();
    default: return true;
  }
}

double Value::as_double() const {
  if (kind == Kind::kFloat) return f;
  if (kind == Kind::kInt) return static_cast<double>(i);
  if (kind == Kind::kBool) return b ? 1 : 0;
  throw Error(std::string("expected a number, found ") + kind_name(kind));
}

int64_t Value::as_int() const {
  if (kind == Kind::kInt) return i;
  if (kind == Kind::kBool) return b ? 1 : 0;
  if (kind == Kind::kFloat) return static_cast<int64_t>(f);
  throw Error(std::string("expected an integer, found ") + kind_name(kind));
}

const Value* Value::find(const std::string& key) const {
  if (!dict) return nullptr;
  for (const auto& [k, v] : *dict) if (k == key) return &v;
  return nullptr;
}

void Value::set(const std::string& key, Value v) {
  for (auto& [k, old] : *dict) {
    if (k == key) {
      old = std::move(v);
      return;
    }
  }
  dict->emplace_back(key, std::move(v));
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kUndefined: return "undefined";
    case Kind::kNone: return "none";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kString: return "string";
    case Kind::kList: return "list";
    case Kind::kTuple: return "tuple";
    case Kind::kDict: return "dict";
    case Kind::kNamespace: return "namespace";
    case Kind::kFunction: return "function";
  }
  return "?";
}

std::string py_float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  // Shortest round-trip digits in scientific form: d.ddddde[+-]X
  auto r = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string sci(buf, r.ptr);
  const size_t e = sci.find('e');
  std::string mant = sci.substr(0, e);
  const int exp = std::stoi(sci.substr(e + 1));
  const bool neg = mant[0] == '-';
  if (neg) mant.erase(0, 1);
  std::string digits;
  for (char c : mant) if (c != '.') digits.push_back(c);
  std::string out;
  if (exp >= -4 && exp < 16) {
    // Fixed notation (CPython repr, 'r' format: exponent form when exp < -4 or >= 16).
    if (exp < 0) {
      out = "0." + std::string(to_size(-exp - 1), '0') + digits;
    } else if (to_size(exp) + 1 >= digits.size()) {
      out = digits + std::string(to_size(exp) + 1 - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, to_size(exp) + 1) + "." + digits.substr(to_size(exp) + 1);
    }
    return neg ? "-" + out : out;
  }
  out = digits.substr(0, 1);
  if (digits.size() > 1) out.append(".").append(digits, 1, std::string::npos);
  out += exp < 0 ? "e-" : "e+";
  const std::string ex = std::to_string(std::abs(exp));
  out += (ex.size() < 2 ? "0" : "") + ex;
  return neg ? "-" + out : out;
}

static std::string repr_string(const std::string& s) {
  const bool has_single = s.find('\'') != std::string::npos;
  const bool has_double = s.find('"') != std::string::npos;
  const char q = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, q);
  for (size_t i = 0; i < s.size();) {
    const char32_t c = utf8_next(s, i);
    if (c == static_cast<char32_t>(q) || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned>(c));
      out += buf;
    } else {
      utf8_append(out, c);
    }
  }
  out.push_back(q);
  return out;
}

std::string py_repr(const Value& v) {
  switch (v.kind) {
    case Kind::kString: return repr_string(v.s);
    case Kind::kList: case Kind::kTuple: {
      const bool tuple = v.kind == Kind::kTuple;
      std::string out = tuple ? "(" : "[";
      for (size_t k = 0; k < v.list->size(); ++k) {
        if (k) out += ", ";
        out += py_repr((*v.list)[k]);
      }
      if (tuple && v.list->size() == 1) out += ",";
      return out + (tuple ? ")" : "]");
    }
    case Kind::kDict: {
      std::string out = "{";
      for (size_t k = 0; k < v.dict->size(); ++k) {
        if (k) out += ", ";
        out += repr_string((*v.dict)[k].first) + ": " + py_repr((*v.dict)[k].second);
      }
      return out + "}";
    }
    default: return py_str(v);
  }
}

std::string py_str(const Value& v) {
  switch (v.kind) {
    case Kind::kUndefined: return "";
    case Kind::kNone: return "None";
    case Kind::kBool: return v.b ? "True" : "False";
    case Kind::kInt: return std::to_string(v.i);
    case Kind::kFloat: return py_float_repr(v.f);
    case Kind::kString: return v.s;
    case Kind::kNamespace: return "<Namespace>";
    case Kind::kFunction: return "<function>";
    default: return py_repr(v);
  }
}

static void json_string(const std::string& s, std::string& out) {
  out.push_back('"');
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

static void to_json_rec(const Value& v, int indent, bool sort_keys, int depth, std::string& out) {
  auto newline = [&](int d) {
    out.push_back('\n');
    out.append(to_size(indent * d), ' ');
  };
  switch (v.kind) {
    case Kind::kNone: out += "null"; return;
    case Kind::kBool: out += v.b ? "true" : "false"; return;
    case Kind::kInt: out += std::to_string(v.i); return;
    case Kind::kFloat:
      if (std::isnan(v.f)) out += "NaN";
      else if (std::isinf(v.f)) out += v.f < 0 ? "-Infinity" : "Infinity";
      else out += py_float_repr(v.f);
      return;
    case Kind::kString: json_string(v.s, out); return;
    case Kind::kList: case Kind::kTuple: {
      if (v.list->empty()) { out += "[]"; return; }
      out.push_back('[');
      for (size_t k = 0; k < v.list->size(); ++k) {
        if (k) out += indent >= 0 ? "," : ", ";
        if (indent >= 0) newline(depth + 1);
        to_json_rec((*v.list)[k], indent, sort_keys, depth + 1, out);
      }
      if (indent >= 0) newline(depth);
      out.push_back(']');
      return;
    }
    case Kind::kDict: case Kind::kNamespace: {
      if (v.dict->empty()) { out += "{}"; return; }
      std::vector<const std::pair<std::string, Value>*> items;
      for (const auto& kv : *v.dict) items.push_back(&kv);
      if (sort_keys) std::stable_sort(items.begin(), items.end(), [](auto* a, auto* b) { return a->first < b->first; });
      out.push_back('{');
      for (size_t k = 0; k < items.size(); ++k) {
        if (k) out += indent >= 0 ? "," : ", ";
        if (indent >= 0) newline(depth + 1);
        json_string(items[k]->first, out);
        out += ": ";
        to_json_rec(items[k]->second, indent, sort_keys, depth + 1, out);
      }
      if (indent >= 0) newline(depth);
      out.push_back('}');
      return;
    }
    default:
      throw Error(std::string("tojson: object of type ") + kind_name(v.kind) + " is not JSON serializable");
  }
}

std::string to_json(const Value& v, int indent, bool sort_keys) {
  std::string out;
  to_json_rec(v, indent, sort_keys, 0, out);
  return out;
}

bool py_equal(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.kind == Kind::kFloat || b.kind == Kind::kFloat) return a.as_double() == b.as_double();
    return a.as_int() == b.as_int();
  }
  if (a.kind != b.kind) {
    if (a.is_sequence() && b.is_sequence()) return false;  // [1] != (1,)
    return false;
  }
  switch (a.kind) {
    case Kind::kUndefined: case Kind::kNone: return true;
    case Kind::kString: return a.s == b.s;
    case Kind::kList: case Kind::kTuple:
      if (a.list->size() != b.list->size()) return false;
      for (size_t k = 0; k < a.list->size(); ++k) if (!py_equal((*a.list)[k], (*b.list)[k])) return false;
      return true;
    case Kind::kDict:
      if (a.dict->size() != b.dict->size()) return false;
      for (const auto& [k, v] : *a.dict) {
        const Value* o = b.find(k);
        if (!o || !py_equal(v, *o)) return false;
      }
      return true;
    default: return a.dict == b.dict && a.fn == b.fn;
  }
}

bool py_less(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.kind == Kind::kFloat || b.kind == Kind::kFloat) return a.as_double() < b.as_double();
    return a.as_int() < b.as_int();
  }
  if (a.is_string() && b.is_string()) return a.s < b.s;  // UTF-8 byte order == code point order
  if (a.is_sequence() && b.is_sequence()) {
    const size_t n = std::min(a.list->size(), b.list->size());
    for (size_t k = 0; k < n; ++k) {
      if (!py_equal((*a.list)[k], (*b.list)[k])) return py_less((*a.list)[k], (*b.list)[k]);
    }
    return a.list->size() < b.list->size();
  }
  throw Error(std::string("'<' not supported between instances of '") + kind_name(a.kind) + "' and '" +
              kind_name(b.kind) + "'");
}

List iterate(const Value& v) {
  switch (v.kind) {
    case Kind::kList: case Kind::kTuple: return *v.list;
    case Kind::kDict: {
      List keys;
      for (const auto& kv : *v.dict) keys.push_back(Value::string(kv.first));
      return keys;
    }
    case Kind::kString: {
      List chars;
      for (size_t i = 0; i < v.s.size();) {
        const size_t start = i;
        utf8_next(v.s, i);
        chars.push_back(Value::string(v.s.substr(start, i - start)));
      }
      return chars;
    }
    case Kind::kUndefined: return {};
    default: throw Error(std::string("'") + kind_name(v.kind) + "' object is not iterable");
  }
}

size_t utf8_length(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace hearth::jinja
