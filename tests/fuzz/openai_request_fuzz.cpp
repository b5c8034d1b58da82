// libFuzzer target for what `hearth serve` does with a request body before the engine sees it:
// read_body (JSON, one object, depth-limited) and then openai::parse_request for both
// endpoints, on the bundled model's real tokenizer and chat template. Any byte string must be
// either a request (a prompt inside the context, max_tokens within range) or an ApiError with
// a 4xx status and a message; never a crash, hang or exception.
// Built with clang by tests/fuzz.cmake; seeds in tests/fuzz/corpus/openai_request.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "src/engine/openai_api.h"
#include "src/serve/request_body.h"

namespace {

struct Served {
  std::unique_ptr<hearth::Tokenizer> tokenizer;
  std::unique_ptr<hearth::ChatTemplate> chat_template;
  hearth::openai::ServedModel served;
};

const Served& served() {
  static const Served s = [] {
    Served out;
    auto tok = hearth::Tokenizer::from_dir(HEARTH_SOURCE_DIR "/models/tiny-qwen3-moe");
    if (!tok) std::abort();
    out.tokenizer = std::make_unique<hearth::Tokenizer>(std::move(*tok));
    auto tmpl = hearth::ChatTemplate::from_tokenizer(*out.tokenizer);
    if (!tmpl) std::abort();
    out.chat_template = std::make_unique<hearth::ChatTemplate>(std::move(*tmpl));
    out.served.tokenizer = out.tokenizer.get();
    out.served.chat_template = out.chat_template.get();
    out.served.context = 2048;
    return out;
  }();
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hearth;
  auto body = serve::read_body(std::string_view(reinterpret_cast<const char*>(data), size), 64);
  if (auto* e = std::get_if<openai::ApiError>(&body)) {
    if (e->http_status != 400 || e->message.empty()) std::abort();
    return 0;
  }
  for (auto endpoint : {openai::Endpoint::kChatCompletions, openai::Endpoint::kCompletions}) {
    auto parsed = openai::parse_request(endpoint, std::get<openai::Json>(body), served().served, 1);
    if (auto* e = std::get_if<openai::ApiError>(&parsed)) {
      if (e->http_status < 400 || e->http_status >= 500 || e->message.empty()) std::abort();
      continue;
    }
    const Request& r = std::get<openai::ParsedRequest>(parsed).request;
    if (r.prompt.empty() || static_cast<int64_t>(r.prompt.size()) > 2048 || r.params.max_tokens < 0) std::abort();
  }
  return 0;
}
