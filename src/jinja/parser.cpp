// Recursive-descent parser for the Jinja2 subset chat templates use, with Jinja's
// operator precedence (jinja2/parser.py): conditional < or < and < not < comparisons
// < + - < ~ < * / // % < ** < unary, with filters/tests/calls binding tightest.
// Unsupported tags (include, extends, block, import, call, ...) are errors naming the tag.
#include <set>

#include "src/jinja/ast.h"
#include "src/jinja/lexer.h"

namespace hearth::jinja {
namespace {

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  Body parse_all() {
    Body body = parse_body({});
    if (cur().kind != TokenKind::kEof) fail("unexpected tag '" + stop_tag_ + "'");
    return body;
  }

 private:
  const Token& cur() const { return t_[p_]; }
  const Token& peek(size_t k = 1) const { return t_[std::min(p_ + k, t_.size() - 1)]; }
  [[noreturn]] void fail(const std::string& msg) const { throw Error(msg, cur().line); }
  bool is_op(const char* op) const { return cur().kind == TokenKind::kOp && cur().text == op; }
  bool is_name(const char* n) const { return cur().kind == TokenKind::kName && cur().text == n; }
  void expect_op(const char* op) {
    if (!is_op(op)) fail(std::string("expected '") + op + "', found '" + cur().text + "'");
    ++p_;
  }
  std::string expect_name() {
    if (cur().kind != TokenKind::kName) fail("expected a name, found '" + cur().text + "'");
    return t_[p_++].text;
  }
  void expect_block_end() {
    if (cur().kind != TokenKind::kBlockEnd) fail("expected '%}', found '" + cur().text + "'");
    ++p_;
  }
  NodePtr node(NodeKind k) {
    auto n = std::make_unique<Node>();
    n->kind = k;
    n->line = cur().line;
    return n;
  }

  // Parses until a {% tag %} whose name is in `stops` (left unconsumed, name in stop_tag_).
  Body parse_body(const std::set<std::string>& stops) {
    Body body;
    while (true) {
      const Token& tk = cur();
      if (tk.kind == TokenKind::kEof) {
        if (!stops.empty()) fail("unexpected end of template; expected {% " + *stops.begin() + " %}");
        return body;
      }
      if (tk.kind == TokenKind::kText) {
        auto n = node(NodeKind::kText);
        n->name = tk.text;
        body.push_back(std::move(n));
        ++p_;
      } else if (tk.kind == TokenKind::kVarBegin) {
        ++p_;
        auto n = node(NodeKind::kOutput);
        n->kids.push_back(parse_expr());
        if (cur().kind != TokenKind::kVarEnd) fail("expected '}}', found '" + cur().text + "'");
        ++p_;
        body.push_back(std::move(n));
      } else if (tk.kind == TokenKind::kBlockBegin) {
        const std::string& tag = peek().text;
        if (stops.count(tag)) {
          stop_tag_ = tag;
          ++p_;  // leave the tag name for the caller
          return body;
        }
        ++p_;
        body.push_back(parse_statement());
      } else {
        fail("unexpected token '" + tk.text + "'");
      }
    }
  }

  NodePtr parse_statement() {
    const std::string tag = cur().text;
    if (cur().kind != TokenKind::kName) fail("expected a tag name after '{%'");
    ++p_;
    if (tag == "if") return parse_if();
    if (tag == "for") return parse_for();
    if (tag == "set") return parse_set();
    if (tag == "macro") return parse_macro();
    if (tag == "break" || tag == "continue") {
      auto n = node(tag == "break" ? NodeKind::kBreak : NodeKind::kContinue);
      expect_block_end();
      return n;
    }
    if (tag == "filter") {
      auto n = node(NodeKind::kFilterBlock);
      n->kids.push_back(parse_filter(nullptr));
      expect_block_end();
      n->body = parse_body({"endfilter"});
      ++p_;
      expect_block_end();
      return n;
    }
    if (tag == "generation") {  // transformers' AssistantTracker extension: no-op wrapper
      auto n = node(NodeKind::kScope);
      expect_block_end();
      n->body = parse_body({"endgeneration"});
      ++p_;
      expect_block_end();
      return n;
    }
    --p_;
    if (tag.rfind("end", 0) == 0 || tag == "elif" || tag == "else") {
      fail("unexpected '{% " + tag + " %}' without a matching opening tag");
    }
    fail("unsupported template tag '{% " + tag + " %}' (supported: if, for, set, macro, filter, break, "
         "continue, raw, generation)");
  }

  NodePtr parse_if() {
    auto n = node(NodeKind::kIf);
    n->kids.push_back(parse_expr());
    expect_block_end();
    n->body = parse_body({"elif", "else", "endif"});
    const std::string stop = stop_tag_;
    ++p_;
    if (stop == "elif") {
      n->else_body.push_back(parse_if());
      return n;
    }
    if (stop == "else") {
      expect_block_end();
      n->else_body = parse_body({"endif"});
      ++p_;
    }
    expect_block_end();
    return n;
  }

  NodePtr parse_for() {
    auto n = node(NodeKind::kFor);
    bool paren = false;
    if (is_op("(")) paren = true, ++p_;
    n->targets.push_back(expect_name());
    while (is_op(",")) {
      ++p_;
      n->targets.push_back(expect_name());
    }
    if (paren) expect_op(")");
    if (!is_name("in")) fail("expected 'in' in for loop, found '" + cur().text + "'");
    ++p_;
    n->kids.push_back(parse_or());  // no conditional expression: "if" filters the loop
    if (is_name("if")) {
      ++p_;
      n->kids.push_back(parse_expr());
    }
    if (is_name("recursive")) fail("recursive for loops are not supported");
    expect_block_end();
    n->body = parse_body({"else", "endfor"});
    const std::string stop = stop_tag_;
    ++p_;
    if (stop == "else") {
      expect_block_end();
      n->else_body = parse_body({"endfor"});
      ++p_;
    }
    expect_block_end();
    return n;
  }

  NodePtr parse_set() {
    auto n = node(NodeKind::kSet);
    n->targets.push_back(expect_name());
    if (is_op(".")) {
      ++p_;
      n->attr = expect_name();
    }
    while (is_op(",")) {
      ++p_;
      n->targets.push_back(expect_name());
    }
    if (is_op("=")) {
      ++p_;
      auto value = parse_expr();
      if (is_op(",")) {  // set a, b = x, y
        auto tup = node(NodeKind::kTuple);
        tup->kids.push_back(std::move(value));
        while (is_op(",")) {
          ++p_;
          tup->kids.push_back(parse_expr());
        }
        value = std::move(tup);
      }
      n->kids.push_back(std::move(value));
      expect_block_end();
      return n;
    }
    n->kind = NodeKind::kSetBlock;
    while (is_op("|")) n->kids.push_back(parse_filter(nullptr));
    expect_block_end();
    n->body = parse_body({"endset"});
    ++p_;
    expect_block_end();
    return n;
  }

  NodePtr parse_macro() {
    auto n = node(NodeKind::kMacro);
    n->name = expect_name();
    expect_op("(");
    while (!is_op(")")) {
      n->targets.push_back(expect_name());
      if (is_op("=")) {
        ++p_;
        n->kids.push_back(parse_expr());
      } else {
        n->kids.push_back(nullptr);
      }
      if (!is_op(")")) expect_op(",");
    }
    ++p_;
    expect_block_end();
    n->body = parse_body({"endmacro"});
    ++p_;
    if (cur().kind == TokenKind::kName) ++p_;  // {% endmacro name %}
    expect_block_end();
    return n;
  }

  // ---- expressions ----
  NodePtr parse_expr() {
    auto e = parse_or();
    if (is_name("if")) {
      auto n = node(NodeKind::kCond);
      ++p_;
      n->kids.push_back(parse_or());
      n->kids.push_back(std::move(e));
      if (is_name("else")) {
        ++p_;
        n->kids.push_back(parse_expr());
      } else {
        n->kids.push_back(nullptr);
      }
      return n;
    }
    return e;
  }

  NodePtr binary(NodeKind k, NodePtr l, NodePtr r, const std::string& op = "") {
    auto n = std::make_unique<Node>();
    n->kind = k;
    n->line = l->line;
    n->name = op;
    n->kids.push_back(std::move(l));
    n->kids.push_back(std::move(r));
    return n;
  }

  NodePtr parse_or() {
    auto l = parse_and();
    while (is_name("or")) ++p_, l = binary(NodeKind::kOr, std::move(l), parse_and());
    return l;
  }
  NodePtr parse_and() {
    auto l = parse_not();
    while (is_name("and")) ++p_, l = binary(NodeKind::kAnd, std::move(l), parse_not());
    return l;
  }
  NodePtr parse_not() {
    if (is_name("not")) {
      auto n = node(NodeKind::kNot);
      ++p_;
      n->kids.push_back(parse_not());
      return n;
    }
    return parse_compare();
  }
  NodePtr parse_compare() {
    auto l = parse_math1();
    while (true) {
      std::string op;
      if (cur().kind == TokenKind::kOp && (is_op("==") || is_op("!=") || is_op("<") || is_op("<=") ||
                                           is_op(">") || is_op(">="))) {
        op = cur().text;
        ++p_;
      } else if (is_name("in")) {
        op = "in";
        ++p_;
      } else if (is_name("not") && peek().kind == TokenKind::kName && peek().text == "in") {
        op = "notin";
        p_ += 2;
      } else {
        return l;
      }
      l = binary(NodeKind::kBinary, std::move(l), parse_math1(), op);
    }
  }
  NodePtr parse_math1() {
    auto l = parse_concat();
    while (is_op("+") || is_op("-")) {
      const std::string op = t_[p_++].text;
      l = binary(NodeKind::kBinary, std::move(l), parse_concat(), op);
    }
    return l;
  }
  NodePtr parse_concat() {
    auto l = parse_math2();
    while (is_op("~")) ++p_, l = binary(NodeKind::kBinary, std::move(l), parse_math2(), "~");
    return l;
  }
  NodePtr parse_math2() {
    auto l = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const std::string op = t_[p_++].text;
      l = binary(NodeKind::kBinary, std::move(l), parse_pow(), op);
    }
    return l;
  }
  NodePtr parse_pow() {
    auto l = parse_unary(true);
    while (is_op("**")) ++p_, l = binary(NodeKind::kBinary, std::move(l), parse_unary(true), "**");
    return l;
  }
  NodePtr parse_unary(bool with_filter) {
    NodePtr n;
    if (is_op("-") || is_op("+")) {
      n = node(is_op("-") ? NodeKind::kNeg : NodeKind::kPos);
      ++p_;
      n->kids.push_back(parse_unary(false));
    } else {
      n = parse_primary();
    }
    n = parse_postfix(std::move(n));
    if (with_filter) {
      while (true) {
        if (is_op("|")) n = parse_filter(std::move(n));
        else if (is_name("is")) n = parse_test(std::move(n));
        else if (is_op("(")) n = parse_call(std::move(n));
        else break;
      }
    }
    return n;
  }

  NodePtr parse_primary() {
    const Token& tk = cur();
    auto n = node(NodeKind::kLiteral);
    switch (tk.kind) {
      case TokenKind::kName:
        ++p_;
        if (tk.text == "true" || tk.text == "True") n->value = Value::boolean(true);
        else if (tk.text == "false" || tk.text == "False") n->value = Value::boolean(false);
        else if (tk.text == "none" || tk.text == "None") n->value = Value::none();
        else n->kind = NodeKind::kName, n->name = tk.text;
        return n;
      case TokenKind::kString: {
        std::string s;
        while (cur().kind == TokenKind::kString) s += t_[p_++].text;  // adjacent literals
        n->value = Value::string(std::move(s));
        return n;
      }
      case TokenKind::kInt:
        ++p_;
        n->value = Value::integer(std::stoll(tk.text));
        return n;
      case TokenKind::kFloat:
        ++p_;
        n->value = Value::number(std::stod(tk.text));
        return n;
      default: break;
    }
    if (is_op("(")) {
      ++p_;
      if (is_op(")")) {
        ++p_;
        n->kind = NodeKind::kTuple;
        return n;
      }
      auto e = parse_expr();
      if (is_op(",")) {
        auto tup = node(NodeKind::kTuple);
        tup->kids.push_back(std::move(e));
        while (is_op(",")) {
          ++p_;
          if (is_op(")")) break;
          tup->kids.push_back(parse_expr());
        }
        e = std::move(tup);
      }
      expect_op(")");
      return e;
    }
    if (is_op("[")) {
      ++p_;
      n->kind = NodeKind::kList;
      while (!is_op("]")) {
        n->kids.push_back(parse_expr());
        if (!is_op("]")) expect_op(",");
      }
      ++p_;
      return n;
    }
    if (is_op("{")) {
      ++p_;
      n->kind = NodeKind::kDict;
      while (!is_op("}")) {
        n->kids.push_back(parse_expr());
        expect_op(":");
        n->kids.push_back(parse_expr());
        if (!is_op("}")) expect_op(",");
      }
      ++p_;
      return n;
    }
    fail("unexpected '" + tk.text + "' in expression");
  }

  NodePtr parse_postfix(NodePtr n) {
    while (true) {
      if (is_op(".")) {
        ++p_;
        auto a = node(NodeKind::kGetAttr);
        if (cur().kind == TokenKind::kInt) {  // x.0 is x[0]
          a->kind = NodeKind::kGetItem;
          a->kids.push_back(std::move(n));
          auto idx = node(NodeKind::kLiteral);
          idx->value = Value::integer(std::stoll(t_[p_++].text));
          a->kids.push_back(std::move(idx));
        } else {
          a->name = expect_name();
          a->kids.push_back(std::move(n));
        }
        n = std::move(a);
      } else if (is_op("[")) {
        ++p_;
        auto g = node(NodeKind::kGetItem);
        g->kids.push_back(std::move(n));
        NodePtr parts[3];
        int part = 0;
        bool slice = false;
        while (!is_op("]")) {
          if (is_op(":")) {
            slice = true;
            if (++part > 2) fail("too many ':' in slice");
            ++p_;
            continue;
          }
          parts[part] = parse_expr();
        }
        ++p_;
        if (slice) {
          g->kind = NodeKind::kSlice;
          for (auto& pp : parts) g->kids.push_back(std::move(pp));
        } else {
          if (!parts[0]) fail("empty subscript");
          g->kids.push_back(std::move(parts[0]));
        }
        n = std::move(g);
      } else if (is_op("(")) {
        n = parse_call(std::move(n));
      } else {
        return n;
      }
    }
  }

  // Arguments "(a, b, k=v)" into n->kids / n->arg_names.
  void parse_args(Node& n) {
    expect_op("(");
    while (!is_op(")")) {
      if (is_op("*") || is_op("**")) fail("*args / **kwargs in calls are not supported");
      if (cur().kind == TokenKind::kName && peek().kind == TokenKind::kOp && peek().text == "=") {
        n.arg_names.push_back(cur().text);
        p_ += 2;
      } else {
        n.arg_names.emplace_back();
      }
      n.kids.push_back(parse_expr());
      if (!is_op(")")) expect_op(",");
    }
    ++p_;
  }

  NodePtr parse_call(NodePtr callee) {
    auto n = node(NodeKind::kCall);
    n->kids.push_back(std::move(callee));
    parse_args(*n);
    return n;
  }

  NodePtr parse_filter(NodePtr operand) {
    expect_op("|");
    auto n = node(NodeKind::kFilter);
    n->name = expect_name();
    while (is_op(".")) ++p_, n->name.append(".").append(expect_name());
    n->kids.push_back(std::move(operand));
    if (is_op("(")) parse_args(*n);
    return n;
  }

  NodePtr parse_test(NodePtr operand) {
    ++p_;  // "is"
    auto n = node(NodeKind::kTest);
    if (is_name("not")) n->negated = true, ++p_;
    n->name = expect_name();
    n->kids.push_back(std::move(operand));
    if (is_op("(")) {
      parse_args(*n);
    } else if ((cur().kind == TokenKind::kString || cur().kind == TokenKind::kInt ||
                cur().kind == TokenKind::kFloat ||
                (cur().kind == TokenKind::kName && !is_name("else") && !is_name("or") && !is_name("and") &&
                 !is_name("if") && !is_name("in") && !is_name("not") && !is_name("is")))) {
      n->arg_names.emplace_back();
      n->kids.push_back(parse_postfix(parse_primary()));
    }
    return n;
  }

  std::vector<Token> t_;
  size_t p_ = 0;
  std::string stop_tag_;
};

}  // namespace

Body parse_template(const std::string& source) { return Parser(lex(source)).parse_all(); }

}  // namespace hearth::jinja
