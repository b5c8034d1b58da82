// Tree-walking interpreter with Jinja2 scoping: {% for %} bodies and macros get their
// own scope (a {% set %} inside a loop does not leak out, hence namespace()); {% if %}
// does not. The loop variable offers index, index0, revindex, revindex0, first, last,
// length, previtem, nextitem, cycle().
#include "src/jinja/interpreter.h"

#include <ctime>
#include <unordered_map>

#include "src/base/size.h"
#include "src/jinja/builtins.h"

namespace hearth::jinja {
namespace {

enum class Flow { kNormal, kBreak, kContinue };

class Interpreter {
 public:
  explicit Interpreter(const Dict& vars) {
    scopes_.emplace_back();
    install_globals();
    for (const auto& [k, v] : vars) scopes_.back()[k] = v;
  }

  std::string run(const Body& root) {
    std::string out;
    exec(root, out);
    return out;
  }

 private:
  using Scope = std::unordered_map<std::string, Value>;

  void install_globals() {
    Scope& g = scopes_.front();
    g["range"] = Value::function([](CallArgs& a) {
      int64_t start = 0, stop, step = 1;
      if (a.args.size() == 1) stop = a.args[0].as_int();
      else if (a.args.size() >= 2) start = a.args[0].as_int(), stop = a.args[1].as_int();
      else throw Error("range() expects 1 to 3 arguments");
      if (a.args.size() == 3) step = a.args[2].as_int();
      if (step == 0) throw Error("range() step must not be zero");
      List out;
      for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.push_back(Value::integer(i));
      return Value::make_list(std::move(out));
    });
    g["namespace"] = Value::function([](CallArgs& a) {
      Value ns = Value::make_dict({}, true);
      if (!a.args.empty() && a.args[0].dict) for (const auto& [k, v] : *a.args[0].dict) ns.set(k, v);
      for (const auto& [k, v] : a.kwargs) ns.set(k, v);
      return ns;
    });
    g["dict"] = Value::function([](CallArgs& a) {
      Value d = Value::make_dict();
      if (!a.args.empty() && a.args[0].dict) for (const auto& [k, v] : *a.args[0].dict) d.set(k, v);
      for (const auto& [k, v] : a.kwargs) d.set(k, v);
      return d;
    });
    g["raise_exception"] = Value::function([](CallArgs& a) -> Value {
      throw Error("template raised an exception: " + (a.args.empty() ? std::string() : py_str(a.args[0])));
    });
    g["strftime_now"] = Value::function([](CallArgs& a) {
      const std::time_t now = std::time(nullptr);
      std::tm tm{};
      localtime_r(&now, &tm);
      char buf[256];
      const std::string fmt = a.args.empty() ? std::string("%Y-%m-%d") : py_str(a.args[0]);
      const size_t n = std::strftime(buf, sizeof(buf), fmt.c_str(), &tm);
      return Value::string(std::string(buf, n));
    });
  }

  Value lookup(const std::string& name) const {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      auto f = it->find(name);
      if (f != it->end()) return f->second;
    }
    return Value::undefined(name);
  }

  Value call(const Value& callee, CallArgs& args, const Node& n) {
    if (callee.kind != Kind::kFunction) {
      const std::string what = callee.is_undefined() ? "'" + callee.s + "' is undefined" : std::string("'") + kind_name(callee.kind) + "' object";
      throw Error(what + " and cannot be called", n.line);
    }
    return (*callee.fn)(args);
  }

  CallArgs eval_args(const Node& n, size_t first) {
    CallArgs a;
    for (size_t k = first; k < n.kids.size(); ++k) {
      Value v = eval(*n.kids[k]);
      const std::string& name = n.arg_names[k - first];
      if (name.empty()) a.args.push_back(std::move(v));
      else a.kwargs.emplace_back(name, std::move(v));
    }
    return a;
  }

  Value eval(const Node& n) {
    try {
      return eval_inner(n);
    } catch (Error& e) {
      if (e.line == 0) e.line = n.line;
      throw;
    }
  }

  Value eval_inner(const Node& n) {
    switch (n.kind) {
      case NodeKind::kLiteral: return n.value;
      case NodeKind::kName: return lookup(n.name);
      case NodeKind::kGetAttr: return get_attr(eval(*n.kids[0]), n.name);
      case NodeKind::kGetItem: return get_item(eval(*n.kids[0]), eval(*n.kids[1]));
      case NodeKind::kSlice: {
        Value obj = eval(*n.kids[0]);
        Value parts[3];
        for (int k = 0; k < 3; ++k) if (n.kids[to_size(k) + 1]) parts[k] = eval(*n.kids[to_size(k) + 1]);
        return slice(obj, n.kids[1] ? &parts[0] : nullptr, n.kids[2] ? &parts[1] : nullptr, n.kids[3] ? &parts[2] : nullptr);
      }
      case NodeKind::kCall: {
        Value callee = eval(*n.kids[0]);
        CallArgs a = eval_args(n, 1);
        return call(callee, a, n);
      }
      case NodeKind::kFilter: {
        Value v = eval(*n.kids[0]);
        CallArgs a = eval_args(n, 1);
        return apply_filter(n.name, v, a);
      }
      case NodeKind::kTest: {
        Value v = eval(*n.kids[0]);
        CallArgs a = eval_args(n, 1);
        return Value::boolean(apply_test(n.name, v, a) != n.negated);
      }
      case NodeKind::kNot: return Value::boolean(!eval(*n.kids[0]).truthy());
      case NodeKind::kNeg: return binary_op("-", Value::integer(0), eval(*n.kids[0]));
      case NodeKind::kPos: return eval(*n.kids[0]);
      case NodeKind::kAnd: {
        Value l = eval(*n.kids[0]);
        return l.truthy() ? eval(*n.kids[1]) : l;
      }
      case NodeKind::kOr: {
        Value l = eval(*n.kids[0]);
        return l.truthy() ? l : eval(*n.kids[1]);
      }
      case NodeKind::kBinary: return binary_op(n.name, eval(*n.kids[0]), eval(*n.kids[1]));
      case NodeKind::kCond:
        if (eval(*n.kids[0]).truthy()) return eval(*n.kids[1]);
        return n.kids[2] ? eval(*n.kids[2]) : Value::undefined();
      case NodeKind::kList: case NodeKind::kTuple: {
        List items;
        for (const auto& k : n.kids) items.push_back(eval(*k));
        return Value::make_list(std::move(items), n.kind == NodeKind::kTuple);
      }
      case NodeKind::kDict: {
        Value d = Value::make_dict();
        for (size_t k = 0; k + 1 < n.kids.size(); k += 2) {
          Value key = eval(*n.kids[k]);
          d.set(key.is_string() ? key.s : py_str(key), eval(*n.kids[k + 1]));
        }
        return d;
      }
      default: throw Error("statement used as expression", n.line);
    }
  }

  void assign_targets(const std::vector<std::string>& targets, const Value& v, int line) {
    if (targets.size() == 1) {
      scopes_.back()[targets[0]] = v;
      return;
    }
    List items = iterate(v);
    if (items.size() != targets.size()) {
      throw Error("cannot unpack " + std::to_string(items.size()) + " values into " + std::to_string(targets.size()) + " names", line);
    }
    for (size_t k = 0; k < targets.size(); ++k) scopes_.back()[targets[k]] = items[k];
  }

  Flow exec(const Body& body, std::string& out) {
    for (const auto& n : body) {
      const Flow f = exec_node(*n, out);
      if (f != Flow::kNormal) return f;
    }
    return Flow::kNormal;
  }

  Flow exec_node(const Node& n, std::string& out) {
    switch (n.kind) {
      case NodeKind::kText: out += n.name; return Flow::kNormal;
      case NodeKind::kOutput: out += py_str(eval(*n.kids[0])); return Flow::kNormal;
      case NodeKind::kIf:
        return exec(eval(*n.kids[0]).truthy() ? n.body : n.else_body, out);
      case NodeKind::kFor: return exec_for(n, out);
      case NodeKind::kSet: {
        Value v = eval(*n.kids[0]);
        if (!n.attr.empty()) {
          Value target = lookup(n.targets[0]);
          if (target.kind != Kind::kNamespace) {
            throw Error("cannot assign attribute '" + n.attr + "' on '" + n.targets[0] + "': not a namespace()", n.line);
          }
          target.set(n.attr, std::move(v));
        } else {
          assign_targets(n.targets, v, n.line);
        }
        return Flow::kNormal;
      }
      case NodeKind::kSetBlock: {
        std::string captured;
        scopes_.emplace_back();
        exec(n.body, captured);
        scopes_.pop_back();
        Value v = Value::string(captured);
        for (const auto& f : n.kids) {
          CallArgs a = eval_args(*f, 1);
          v = apply_filter(f->name, v, a);
        }
        scopes_.back()[n.targets[0]] = v;
        return Flow::kNormal;
      }
      case NodeKind::kMacro: define_macro(n); return Flow::kNormal;
      case NodeKind::kBreak: return Flow::kBreak;
      case NodeKind::kContinue: return Flow::kContinue;
      case NodeKind::kFilterBlock: {
        std::string captured;
        exec(n.body, captured);
        const Node& f = *n.kids[0];
        CallArgs a = eval_args(f, 1);
        out += py_str(apply_filter(f.name, Value::string(captured), a));
        return Flow::kNormal;
      }
      case NodeKind::kScope: return exec(n.body, out);
      default: out += py_str(eval(n)); return Flow::kNormal;
    }
  }

  Flow exec_for(const Node& n, std::string& out) {
    const Value seq = eval(*n.kids[0]);
    List items = seq.kind == Kind::kDict ? iterate(seq) : iterate(seq);
    if (n.kids.size() > 1) {  // {% for x in xs if cond %}: filter before numbering
      List kept;
      scopes_.emplace_back();
      for (const auto& it : items) {
        assign_targets(n.targets, it, n.line);
        if (eval(*n.kids[1]).truthy()) kept.push_back(it);
      }
      scopes_.pop_back();
      items = std::move(kept);
    }
    if (items.empty()) return exec(n.else_body, out);
    const int64_t len = static_cast<int64_t>(items.size());
    scopes_.emplace_back();
    Value loop = Value::make_dict({}, true);
    for (int64_t i = 0; i < len; ++i) {
      const size_t k = to_size(i);
      loop.set("index", Value::integer(i + 1));
      loop.set("index0", Value::integer(i));
      loop.set("revindex", Value::integer(len - i));
      loop.set("revindex0", Value::integer(len - i - 1));
      loop.set("first", Value::boolean(i == 0));
      loop.set("last", Value::boolean(i == len - 1));
      loop.set("length", Value::integer(len));
      loop.set("depth", Value::integer(1));
      loop.set("depth0", Value::integer(0));
      loop.set("previtem", i > 0 ? items[k - 1] : Value::undefined("previtem"));
      loop.set("nextitem", i + 1 < len ? items[k + 1] : Value::undefined("nextitem"));
      loop.set("cycle", Value::function([i](CallArgs& a) {
        if (a.args.empty()) throw Error("loop.cycle() needs at least one argument");
        return a.args[to_size(i) % a.args.size()];
      }));
      scopes_.back()["loop"] = loop;
      assign_targets(n.targets, items[k], n.line);
      if (exec(n.body, out) == Flow::kBreak) break;
    }
    scopes_.pop_back();
    return Flow::kNormal;
  }

  void define_macro(const Node& n) {
    const Node* def = &n;
    scopes_.back()[n.name] = Value::function([this, def](CallArgs& a) {
      Scope frame;
      for (size_t k = 0; k < def->targets.size(); ++k) {
        const Value* v = a.get(k, def->targets[k]);
        if (v) frame[def->targets[k]] = *v;
        else if (def->kids[k]) frame[def->targets[k]] = eval(*def->kids[k]);
        else frame[def->targets[k]] = Value::undefined(def->targets[k]);
      }
      scopes_.push_back(std::move(frame));
      std::string text;
      try {
        exec(def->body, text);
      } catch (...) {
        scopes_.pop_back();
        throw;
      }
      scopes_.pop_back();
      return Value::string(text);
    });
  }

  std::vector<Scope> scopes_;
};

}  // namespace

std::string render(const Body& root, const Dict& variables) { return Interpreter(variables).run(root); }

}  // namespace hearth::jinja
