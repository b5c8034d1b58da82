// Loads reference.jsonl golden files (prompt, input_ids, last_logits, greedy_ids) written by
// an independent float64 implementation, shared by the golden tests of every model.
#pragma once

#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hearth::test {

struct GoldenCase {
  std::string prompt;
  std::vector<int32_t> input_ids;
  std::vector<double> last_logits;
  std::vector<int32_t> greedy_ids;
};

inline std::vector<GoldenCase> load_golden(const std::string& path) {
  std::vector<GoldenCase> cases;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line);
    cases.push_back({j["prompt"], j["input_ids"].get<std::vector<int32_t>>(),
                     j["last_logits"].get<std::vector<double>>(), j["greedy_ids"].get<std::vector<int32_t>>()});
  }
  return cases;
}

}  // namespace hearth::test
