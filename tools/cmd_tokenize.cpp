// `hearth tokenize`: JSON Lines in, JSON Lines out. Encodes {"text": ...} lines to
// {"ids": [...]}, or with --decode turns {"ids": [...]} lines into {"text": ...}.
// Thin: parsing and error mapping only; the work is hearth::Tokenizer.
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "src/tokenizer/decoder.h"
#include "src/tokenizer/tokenizer.h"
#include "tools/command.h"

namespace hearth::tools {
namespace {

using json = nlohmann::ordered_json;

struct TokenizeArgs {
  std::string tokenizer;
  bool no_special = false;
  bool decode = false;
};

// Optional boolean field; false with a message when present but not a bool.
bool read_bool(const json& line, const char* key, bool fallback, bool& out, std::string& error) {
  auto it = line.find(key);
  if (it == line.end() || it->is_null()) {
    out = fallback;
    return true;
  }
  if (!it->is_boolean()) {
    error = fmt::format("\"{}\" must be true or false, found {}", key, it->dump());
    return false;
  }
  out = it->get<bool>();
  return true;
}

// Handles one input line; returns "" on success (output in `out`) or an error message.
std::string process_line(const Tokenizer& t, const TokenizeArgs& a, const std::string& text, json& out) {
  json line = json::parse(text, nullptr, false);
  if (line.is_discarded() || !line.is_object()) return "expected a JSON object on this line";
  std::string error;
  if (a.decode) {
    auto ids_it = line.find("ids");
    if (ids_it == line.end() || !ids_it->is_array()) return "expected {\"ids\": [integers, ...]}";
    std::vector<int32_t> ids;
    for (const auto& v : *ids_it) {
      if (!v.is_number_integer()) return fmt::format("\"ids\" must hold integers, found {}", v.dump());
      ids.push_back(v.get<int32_t>());
    }
    bool skip = false, clean = false;
    if (!read_bool(line, "skip_special_tokens", false, skip, error)) return error;
    if (!read_bool(line, "clean_up_tokenization_spaces", false, clean, error)) return error;
    std::string decoded = t.decode(ids, skip);
    if (clean) decoded = tok::clean_up_tokenization(std::move(decoded));
    out = json{{"text", decoded}};
    return "";
  }
  auto text_it = line.find("text");
  if (text_it == line.end() || !text_it->is_string()) return "expected {\"text\": \"...\"}";
  bool add_special = true;
  if (!read_bool(line, "add_special_tokens", !a.no_special, add_special, error)) return error;
  out = json{{"ids", t.encode(text_it->get<std::string>(), add_special)}};
  return "";
}

int run_tokenize(const TokenizeArgs& a) {
  auto files = read_tokenizer_files(a.tokenizer);
  if (!files) return fail("tokenize", files.message());
  auto t = Tokenizer::from_files(files.value());
  if (!t) return fail("tokenize", a.tokenizer + ": " + t.message());
  std::string text;
  for (size_t line_no = 1; std::getline(std::cin, text); ++line_no) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    json out;
    const std::string error = process_line(t.value(), a, text, out);
    if (!error.empty()) return fail("tokenize", fmt::format("stdin line {}: {}", line_no, error));
    std::cout << out.dump(-1, ' ', false, json::error_handler_t::replace) << '\n' << std::flush;
  }
  return 0;
}

const CommandRegistration kRegistration({
    "tokenize",
    "Encode JSON Lines {\"text\": ...} to {\"ids\": [...]} (or decode with --decode)",
    [](CLI::App& app) {
      auto a = std::make_shared<TokenizeArgs>();
      app.add_option("--tokenizer", a->tokenizer,
                     "Folder holding tokenizer.json (and tokenizer_config.json)")->required();
      app.add_flag("--no-special", a->no_special,
                   "Default add_special_tokens to false (no BOS/EOS from the post-processor); a line's "
                   "own \"add_special_tokens\" still wins");
      app.add_flag("--decode", a->decode,
                   "Decode instead: read {\"ids\": [...], \"skip_special_tokens\": bool, "
                   "\"clean_up_tokenization_spaces\": bool} (both default false), write {\"text\": ...}");
      app.footer(
          "Reads one JSON object per line from stdin and writes one per line to stdout.\n"
          "Encode input: {\"text\": \"...\", \"add_special_tokens\": bool (optional, default true)}.\n"
          "A malformed line stops with an error naming the line number (exit code 1).");
      return [a] { return run_tokenize(*a); };
    }});

}  // namespace
}  // namespace hearth::tools
