// Evaluates a parsed chat template against a set of variables and returns the text.
// Globals provided: range, namespace, dict, raise_exception, strftime_now.
// Not here: parsing (parser.cpp), filters/operators (builtins.h).
#pragma once

#include <string>

#include "src/jinja/ast.h"

namespace hearth::jinja {

// Throws jinja::Error (with the template line) on a runtime error or raise_exception.
std::string render(const Body& root, const Dict& variables);

}  // namespace hearth::jinja
