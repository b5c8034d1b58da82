// `hearth tokenize` and `hearth template` end to end: JSON Lines in and out, and a bad
// line reported with its line number and a non-zero exit.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "tests/common/tokenizer_test_util.h"

namespace hearth {
namespace {

struct RunResult {
  int exit_code;
  std::string out;
};

// ctest runs tests in parallel processes: each call gets files of its own.
RunResult run_cli(const std::string& args, const std::string& input) {
  static int calls = 0;
  const std::string stem = ::testing::TempDir() + "/hearth_tok_cli_" + std::to_string(getpid()) + "_" +
                           std::to_string(calls++);
  const std::string in_path = stem + "_in.jsonl";
  const std::string err_path = stem + "_err.txt";
  std::ofstream(in_path) << input;
  const std::string cmd = std::string(HEARTH_BINARY) + " " + args + " < " + in_path + " 2> " + err_path;
  RunResult r{0, ""};
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_path);
  r.out += std::string(std::istreambuf_iterator<char>(err), {});
  std::remove(in_path.c_str());
  std::remove(err_path.c_str());
  return r;
}

TEST(TokenizerCli, EncodeAndDecode) {
  const std::string dir = test::tokenizer_dir("llama3");
  auto r = run_cli("tokenize --tokenizer " + dir,
                   "{\"text\": \"Hello world\"}\n{\"text\": \"Hello world\", \"add_special_tokens\": false}\n");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "{\"ids\":[128000,9906,1917]}\n{\"ids\":[9906,1917]}\n");
  r = run_cli("tokenize --no-special --tokenizer " + dir, "{\"text\": \"Hello world\"}\n");
  EXPECT_EQ(r.out, "{\"ids\":[9906,1917]}\n");
  r = run_cli("tokenize --decode --tokenizer " + dir,
              "{\"ids\": [128000, 9906, 1917, 662]}\n"
              "{\"ids\": [128000, 9906, 1917, 662], \"skip_special_tokens\": true, \"clean_up_tokenization_spaces\": true}\n");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "{\"text\":\"<|begin_of_text|>Hello world .\"}\n{\"text\":\"Hello world.\"}\n");
}

TEST(TokenizerCli, BadLineReportsLineNumber) {
  auto r = run_cli("tokenize --tokenizer " + test::tokenizer_dir("qwen3"), "{\"text\": \"ok\"}\n{\"txt\": 1}\n");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("stdin line 2"), std::string::npos) << r.out;
  r = run_cli("tokenize --tokenizer /nonexistent/dir", "");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("tokenizer.json"), std::string::npos) << r.out;
}

TEST(TokenizerCli, Template) {
  auto r = run_cli("template --tokenizer " + test::tokenizer_dir("qwen3"),
                   "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"add_generation_prompt\": true, "
                   "\"kwargs\": {\"enable_thinking\": false}}\n");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out,
            "{\"rendered\":\"<|im_start|>user\\nHi<|im_end|>\\n<|im_start|>assistant\\n<think>\\n\\n</think>\\n\\n\"}\n");
  r = run_cli("template --tokenizer " + test::tokenizer_dir("gemma3"),
              "{\"messages\": [{\"role\": \"assistant\", \"content\": \"x\"}]}\n");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("stdin line 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Conversation roles must alternate"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace hearth
