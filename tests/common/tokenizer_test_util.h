// Shared helpers for the tokenizer and chat-template tests: the extracted test material
// (HEARTH_TOKENIZER_DATA_DIR, see tests/tokenizers.cmake), a per-family tokenizer cache
// (each tokenizer.json is parsed once per test binary) and a JSON Lines reader.
#pragma once

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "src/tokenizer/tokenizer.h"

namespace hearth::test {

inline const std::vector<std::string> kTokenizerFamilies = {"deepseek_v3", "gemma3", "llama2", "llama3", "qwen3"};

inline std::string tokenizer_dir(const std::string& family) {
  return std::string(HEARTH_TOKENIZER_DATA_DIR) + "/" + family;
}

inline const Tokenizer& cached_tokenizer(const std::string& family) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto& slot = cache[family];
  if (!slot) {
    auto t = Tokenizer::from_dir(tokenizer_dir(family));
    if (!t) {
      ADD_FAILURE() << t.message();
      std::abort();
    }
    slot = std::make_unique<Tokenizer>(std::move(t.value()));
  }
  return *slot;
}

// ordered_json keeps each object's key order, as Python's json.loads does (tojson output
// depends on it).
inline std::vector<nlohmann::ordered_json> read_jsonl(const std::string& path) {
  std::vector<nlohmann::ordered_json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(nlohmann::ordered_json::parse(line));
  }
  return out;
}

}  // namespace hearth::test
