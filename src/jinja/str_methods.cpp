// Python str methods for chat templates (split/rsplit, strip family via py_strip,
// startswith/endswith, replace, find/count, join, format, is* predicates...), returned
// as bound functions by get_attr. CPython semantics; strings are UTF-8, indexed by code point.
// Not here: list/dict methods and operators (operators.cpp).
#include <cctype>

#include "src/jinja/builtins.h"
#include "src/base/size.h"
#include "src/base/utf8.h"

namespace hearth::jinja {
namespace {

int64_t arg_int(const CallArgs& a, size_t i, const char* name, int64_t def) {
  const Value* v = a.get(i, name);
  return (v && !v->is_none()) ? v->as_int() : def;
}

std::vector<std::string> py_split(const std::string& s, const Value* sep, int64_t maxsplit) {
  std::vector<std::string> out;
  if (!sep || sep->is_none()) {
    // Runs of whitespace; leading/trailing whitespace ignored.
    const std::u32string u = utf8_to_u32(s);
    size_t i = 0;
    while (i < u.size()) {
      while (i < u.size() && is_python_space(u[i])) ++i;
      if (i >= u.size()) break;
      if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) {
        size_t e = u.size();
        while (e > i && is_python_space(u[e - 1])) --e;
        out.push_back(u32_to_utf8(u.substr(i, e - i)));
        break;
      }
      size_t j = i;
      while (j < u.size() && !is_python_space(u[j])) ++j;
      out.push_back(u32_to_utf8(u.substr(i, j - i)));
      i = j;
    }
    return out;
  }
  if (!sep->is_string() || sep->s.empty()) throw Error("split: empty or non-string separator");
  size_t last = 0, pos;
  while ((maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) &&
         (pos = s.find(sep->s, last)) != std::string::npos) {
    out.push_back(s.substr(last, pos - last));
    last = pos + sep->s.size();
  }
  out.push_back(s.substr(last));
  return out;
}

Value string_list(const std::vector<std::string>& parts) {
  List l;
  for (const auto& p : parts) l.push_back(Value::string(p));
  return Value::make_list(std::move(l));
}

std::string replace_all(const std::string& s, const std::string& from, const std::string& to, int64_t count) {
  if (from.empty()) {
    // Python inserts `to` between every character (and at both ends).
    std::string out = to;
    for (size_t i = 0; i < s.size();) {
      const size_t b = i;
      utf8_next(s, i);
      out += s.substr(b, i - b) + to;
    }
    return out;
  }
  std::string out;
  size_t last = 0, pos;
  int64_t n = 0;
  while ((count < 0 || n < count) && (pos = s.find(from, last)) != std::string::npos) {
    out.append(s, last, pos - last);
    out += to;
    last = pos + from.size();
    ++n;
  }
  out.append(s, last, std::string::npos);
  return out;
}

std::string case_map(const std::string& s, int mode) {  // 0 lower, 1 upper (ASCII + Latin-1)
  std::string out;
  for (size_t i = 0; i < s.size();) {
    char32_t c = utf8_next(s, i);
    if (mode == 0 && ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7))) c += 32;
    if (mode == 1 && ((c >= 'a' && c <= 'z') || (c >= 0xE0 && c <= 0xFE && c != 0xF7))) c -= 32;
    utf8_append(out, c);
  }
  return out;
}

const std::string& arg_str(const CallArgs& a, size_t i, const char* name, const char* method) {
  const Value* v = a.get(i, name);
  if (!v || !v->is_string()) throw Error(std::string(method) + "() expects a string argument");
  return v->s;
}

}  // namespace

Value string_method(const std::string& s, const std::string& name) {
  auto m = [](auto f) { return Value::function(f); };
  if (name == "startswith" || name == "endswith") {
    const bool start = name == "startswith";
    return m([s, start](CallArgs& a) {
      const Value* p = a.get(0, "prefix");
      std::vector<std::string> options;
      if (p && p->is_string()) options.push_back(p->s);
      else if (p && p->is_sequence()) for (const auto& e : *p->list) options.push_back(py_str(e));
      else throw Error("startswith/endswith expects a string or tuple of strings");
      for (const auto& o : options) {
        if (o.size() <= s.size() && (start ? s.compare(0, o.size(), o) == 0 : s.compare(s.size() - o.size(), o.size(), o) == 0)) {
          return Value::boolean(true);
        }
      }
      return Value::boolean(false);
    });
  }
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    const bool l = name != "rstrip", r = name != "lstrip";
    return m([s, l, r](CallArgs& a) { return Value::string(py_strip(s, a.get(0, "chars"), l, r)); });
  }
  if (name == "split") {
    return m([s](CallArgs& a) { return string_list(py_split(s, a.get(0, "sep"), arg_int(a, 1, "maxsplit", -1))); });
  }
  if (name == "rsplit") {
    return m([s](CallArgs& a) {
      const int64_t maxsplit = arg_int(a, 1, "maxsplit", -1);
      auto parts = py_split(s, a.get(0, "sep"), -1);
      if (maxsplit < 0 || static_cast<int64_t>(parts.size()) <= maxsplit + 1) return string_list(parts);
      const Value* sep = a.get(0, "sep");
      const std::string joiner = (sep && sep->is_string()) ? sep->s : " ";
      std::vector<std::string> out;
      const size_t head = parts.size() - to_size(maxsplit);
      std::string first;
      for (size_t k = 0; k < head; ++k) first += (k ? joiner : "") + parts[k];
      out.push_back(first);
      out.insert(out.end(), parts.begin() + static_cast<ptrdiff_t>(head), parts.end());
      return string_list(out);
    });
  }
  if (name == "splitlines") {
    return m([s](CallArgs&) {
      std::vector<std::string> out;
      size_t last = 0;
      for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\n' || s[i] == '\r') {
          out.push_back(s.substr(last, i - last));
          if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
          last = i + 1;
        }
      }
      if (last < s.size()) out.push_back(s.substr(last));
      return string_list(out);
    });
  }
  if (name == "upper" || name == "lower") {
    const int mode = name == "upper" ? 1 : 0;
    return m([s, mode](CallArgs&) { return Value::string(case_map(s, mode)); });
  }
  if (name == "title" || name == "capitalize") {
    const bool title = name == "title";
    return m([s, title](CallArgs&) {
      CallArgs none;
      return apply_filter(title ? "title" : "capitalize", Value::string(s), none);
    });
  }
  if (name == "replace") {
    return m([s](CallArgs& a) {
      return Value::string(replace_all(s, arg_str(a, 0, "old", "replace"), arg_str(a, 1, "new", "replace"),
                                       arg_int(a, 2, "count", -1)));
    });
  }
  if (name == "find" || name == "rfind" || name == "index" || name == "count") {
    return m([s, name](CallArgs& a) {
      const std::string& sub = arg_str(a, 0, "sub", name.c_str());
      if (name == "count") {
        int64_t n = 0;
        if (sub.empty()) return Value::integer(static_cast<int64_t>(utf8_length(s)) + 1);
        for (size_t p = s.find(sub); p != std::string::npos; p = s.find(sub, p + sub.size())) ++n;
        return Value::integer(n);
      }
      const size_t p = name == "rfind" ? s.rfind(sub) : s.find(sub);
      if (p == std::string::npos) {
        if (name == "index") throw Error("substring not found");
        return Value::integer(-1);
      }
      return Value::integer(static_cast<int64_t>(utf8_length(s.substr(0, p))));
    });
  }
  if (name == "join") {
    return m([s](CallArgs& a) {
      std::string out;
      const Value* it = a.get(0, "iterable");
      if (!it) throw Error("join() expects an iterable");
      bool first = true;
      for (const auto& e : iterate(*it)) {
        if (!first) out += s;
        first = false;
        out += py_str(e);
      }
      return Value::string(out);
    });
  }
  if (name == "removeprefix" || name == "removesuffix") {
    const bool pre = name == "removeprefix";
    return m([s, pre](CallArgs& a) {
      const std::string& x = arg_str(a, 0, "x", pre ? "removeprefix" : "removesuffix");
      if (x.size() <= s.size() && pre && s.compare(0, x.size(), x) == 0) return Value::string(s.substr(x.size()));
      if (x.size() <= s.size() && !pre && s.compare(s.size() - x.size(), x.size(), x) == 0) {
        return Value::string(s.substr(0, s.size() - x.size()));
      }
      return Value::string(s);
    });
  }
  if (name == "isdigit" || name == "isalpha" || name == "isspace" || name == "isupper" || name == "islower" ||
      name == "isalnum") {
    return m([s, name](CallArgs&) {
      if (s.empty()) return Value::boolean(false);
      bool ok = true, cased = false;
      for (unsigned char c : s) {
        if (name == "isdigit") ok = ok && std::isdigit(c);
        else if (name == "isalpha") ok = ok && (std::isalpha(c) || c >= 0x80);
        else if (name == "isalnum") ok = ok && (std::isalnum(c) || c >= 0x80);
        else if (name == "isspace") ok = ok && std::isspace(c);
        else if (name == "isupper") ok = ok && !std::islower(c), cased = cased || std::isupper(c);
        else ok = ok && !std::isupper(c), cased = cased || std::islower(c);
      }
      if (name == "isupper" || name == "islower") ok = ok && cased;
      return Value::boolean(ok);
    });
  }
  if (name == "format") {
    return m([s](CallArgs& a) {
      std::string out;
      size_t next = 0;
      for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '{' && i + 1 < s.size() && s[i + 1] == '{') { out += '{'; ++i; continue; }
        if (s[i] == '}' && i + 1 < s.size() && s[i + 1] == '}') { out += '}'; ++i; continue; }
        if (s[i] != '{') { out += s[i]; continue; }
        const size_t close = s.find('}', i);
        if (close == std::string::npos) throw Error("format: unmatched '{'");
        const std::string key = s.substr(i + 1, close - i - 1);
        const Value* v = key.empty() ? a.get(next++, "") : (std::isdigit(static_cast<unsigned char>(key[0])) ? a.get(std::stoul(key), "") : a.kwarg(key));
        if (!v) throw Error("format: missing argument '" + key + "'");
        out += py_str(*v);
        i = close;
      }
      return Value::string(out);
    });
  }
  return Value::undefined(name);
}


}  // namespace hearth::jinja
