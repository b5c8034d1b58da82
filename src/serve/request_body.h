// A request body read as JSON with the server's limits: it must be one JSON object nested no
// deeper than max_depth; anything else is the 400 OpenAI answers, with a message that says
// what was wrong. The body's size is limited before this (httplib, --max-body).
// Not here: the fields (openai::parse_request).
#pragma once

#include <string_view>
#include <variant>

#include "src/engine/openai_api.h"

namespace hearth::serve {

std::variant<openai::Json, openai::ApiError> read_body(std::string_view text, int max_depth);

}  // namespace hearth::serve
