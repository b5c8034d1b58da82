// read_body: nlohmann's parser with a callback that refuses depth beyond the limit as it goes
// (before the deep value is built), so a body of a million '[' costs nothing.
#include "src/serve/request_body.h"

#include <fmt/format.h>

namespace hearth::serve {
namespace {

struct JsonTooDeep {};

}  // namespace

std::variant<openai::Json, openai::ApiError> read_body(std::string_view text, int max_depth) {
  openai::ApiError e;
  e.code = "invalid_json";
  try {
    openai::Json body = openai::Json::parse(text, [max_depth](int depth, openai::Json::parse_event_t, openai::Json&) {
      if (depth > max_depth) throw JsonTooDeep{};
      return true;
    });
    if (body.is_object()) return body;
    e.message = "The request body must be a JSON object.";
  } catch (const JsonTooDeep&) {
    e.message = fmt::format("The request body nests deeper than {} levels.", max_depth);
  } catch (const openai::Json::exception& ex) {
    e.message = fmt::format("The request body is not valid JSON: {}", ex.what());
  }
  return e;
}

}  // namespace hearth::serve
