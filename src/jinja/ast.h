// Syntax tree of a parsed chat template: one Node type for expressions and statements
// (kind + children), with the source line of each node for error messages.
// Not here: parsing (parser.cpp) or evaluation (interpreter.cpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "src/jinja/value.h"

namespace hearth::jinja {

enum class NodeKind {
  // Expressions
  kLiteral,   // value
  kName,      // name
  kGetAttr,   // kids[0].name
  kGetItem,   // kids[0][kids[1]]
  kSlice,     // kids[0][kids[1]:kids[2]:kids[3]] (null kids for omitted parts)
  kCall,      // kids[0](kids[1..]) with arg_names
  kFilter,    // kids[0] | name(kids[1..])
  kTest,      // kids[0] is [not] name(kids[1..]); negated
  kNot, kNeg, kPos,
  kBinary,    // kids[0] name kids[1]; name: + - * / // % ** ~ == != < <= > >= in notin
  kAnd, kOr,
  kCond,      // kids[1] if kids[0] else kids[2] (kids[2] may be null)
  kList, kTuple,
  kDict,      // kids alternate key, value
  // Statements
  kText,      // name = literal text
  kOutput,    // {{ kids[0] }}
  kIf,        // if kids[0]: body else: else_body
  kFor,       // for targets in kids[0] [if kids[1]]: body else: else_body
  kSet,       // targets = kids[0]; or name.attr = kids[0] (attr non-empty)
  kSetBlock,  // {% set name %}body{% endset %} (kids: optional filters as kFilter chain)
  kMacro,     // macro name(targets, defaults in kids) body
  kBreak, kContinue,
  kFilterBlock,  // {% filter %}: kids[0] is a kFilter whose operand is null
  kScope,     // body rendered in place (e.g. {% generation %})
};

struct Node;
using NodePtr = std::unique_ptr<Node>;
using Body = std::vector<NodePtr>;

struct Node {
  NodeKind kind;
  int line = 0;
  std::string name;
  std::string attr;
  Value value;
  bool negated = false;
  std::vector<NodePtr> kids;
  std::vector<std::string> arg_names;  // per call argument ("" positional)
  std::vector<std::string> targets;    // for/set/macro names
  Body body, else_body;
};

// Parses template source; throws jinja::Error naming the construct and line.
Body parse_template(const std::string& source);

}  // namespace hearth::jinja
