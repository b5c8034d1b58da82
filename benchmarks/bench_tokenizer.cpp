// Encode throughput of the Qwen3 tokenizer (single thread): English prose from
// tests/data/corpus/valid.txt, and a generated multilingual text (CJK, Cyrillic, Arabic,
// Devanagari, emoji, code). Reports bytes/s (MB/s). Uses the test material extracted
// by tests/tokenizers.cmake into <build>/tests/tokenizer_data (found next to this
// binary, or set HEARTH_TOKENIZER_DATA_DIR to a folder holding qwen3/).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "src/tokenizer/tokenizer.h"

namespace {

// <build>/benchmarks/hearth_benchmarks -> <build>/tests/tokenizer_data/tokenizers
std::string data_dir() {
  if (const char* env = std::getenv("HEARTH_TOKENIZER_DATA_DIR")) return env;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe");
  return (exe.parent_path().parent_path() / "tests" / "tokenizer_data" / "tokenizers").string();
}

// Repository root, from this file's path (benchmarks/bench_tokenizer.cpp).
std::string source_dir() { return std::filesystem::path(__FILE__).parent_path().parent_path().string(); }

const hearth::Tokenizer* qwen3() {
  static const auto* t = [] {
    auto r = hearth::Tokenizer::from_dir(data_dir() + "/qwen3");
    return r ? new hearth::Tokenizer(std::move(r.value())) : nullptr;
  }();
  return t;
}

std::string english() {
  std::ifstream in(source_dir() + "/tests/data/corpus/valid.txt");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string multilingual() {
  static const char* const kParts[] = {
      "今天天气很好，我们去公园散步吧。机器学习是人工智能的一个分支。",
      "Съешь же ещё этих мягких французских булок, да выпей чаю. ",
      "اللغة العربية جميلة ومليئة بالتاريخ. ",
      "हिन्दी भाषा भारत में बोली जाती है। ",
      "東京は日本の首都です。カタカナとひらがなと漢字。",
      "안녕하세요, 세계! 한국어 텍스트 처리. ",
      "Emoji 😀👍🏽👨‍👩‍👧‍👦 and café, naïve, Straße. ",
      "def f(x):\n    return x ** 2  # square\n",
  };
  std::string out;
  for (int rep = 0; out.size() < 1 << 20; ++rep) {
    for (const char* p : kParts) out += p;
    out += std::to_string(rep) + "\n";
  }
  return out;
}

void run(benchmark::State& state, const std::string& text) {
  const hearth::Tokenizer* t = qwen3();
  if (!t) {
    state.SkipWithError("qwen3 tokenizer not found: configure with tests enabled (extracts tokenizers.tar.xz) or set HEARTH_TOKENIZER_DATA_DIR");
    return;
  }
  size_t tokens = 0;
  for (auto _ : state) {
    auto ids = t->encode(text, false);
    tokens = ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["tokens"] = static_cast<double>(tokens);
}

void BM_TokenizerEncodeQwen3English(benchmark::State& state) {
  static const std::string text = english();
  if (text.empty()) {
    state.SkipWithError("tests/data/corpus/valid.txt not found");
    return;
  }
  run(state, text);
}
void BM_TokenizerEncodeQwen3Multilingual(benchmark::State& state) {
  static const std::string text = multilingual();
  run(state, text);
}

BENCHMARK(BM_TokenizerEncodeQwen3English)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TokenizerEncodeQwen3Multilingual)->Unit(benchmark::kMillisecond);

}  // namespace
