// `hearth convert` end to end on the bundled tiny Qwen3-MoE: the q8 file loads like the
// folder (names, shapes, tokenizer, metadata) and reproduces the reference's greedy
// continuations (16 tokens, or to the end-of-sequence token 2045 of config.json); refusals leave no file behind: NaN tensor, config/tensor disagreement,
// unwritable output, a full disk (RLIMIT_FSIZE in a child), an interrupted write (SIGTERM).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "models/loader.h"
#include "src/convert/convert.h"
#include "src/engine/session.h"
#include "src/io/hearth_file.h"
#include "src/io/hearth_file_writer.h"
#include "tests/common/golden_test_util.h"
#include "tests/common/test_files.h"

namespace hearth {
namespace {

const std::string kModelDir = std::string(HEARTH_SOURCE_DIR) + "/models/tiny-qwen3-moe";
const std::string kReference = std::string(HEARTH_TEST_DATA_DIR) + "/models/tiny-qwen3-moe/reference.jsonl";

size_t entries_in(const std::string& dir) {
  return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir), {}));
}

Result<convert::ConvertReport> convert_to(const std::string& src, const std::string& out,
                                          const std::string& quant = "q8") {
  convert::ConvertOptions opt;
  opt.source = src;
  opt.output = out;
  opt.quant = quant;
  opt.progress = false;
  return convert::convert_checkpoint(opt);
}

// The model's first 16 greedy tokens equal the reference's, or up to and including an
// end-of-text token (2045 in the tiny models): past it the reference's continuation is out of
// distribution, a chain of near ties ("...1234567890" ends at 8).
void expect_greedy_prefix(Model& model, const test::GoldenCase& c) {
  Session session(model);
  GenerateOptions opt;
  opt.max_tokens = 16;
  opt.ignore_eos = true;
  opt.sampler.temperature = 0;
  std::vector<int32_t> got;
  ASSERT_TRUE(session.generate(c.input_ids, opt, [&](int32_t id) { got.push_back(id); return true; }));
  size_t n = 16;
  for (size_t i = 0; i < n; ++i)
    if (c.greedy_ids[i] == 2045) n = i + 1;
  EXPECT_EQ(std::vector<int32_t>(got.begin(), got.begin() + static_cast<std::ptrdiff_t>(n)),
            std::vector<int32_t>(c.greedy_ids.begin(), c.greedy_ids.begin() + static_cast<std::ptrdiff_t>(n)));
}

TEST(ConvertModel, Q8LoadsLikeTheFolderAndMatchesGreedyReference) {
  test::TempDir dir;
  const std::string out = dir.file("tiny-q8.hearth");
  auto report = convert_to(kModelDir, out);
  ASSERT_TRUE(report) << report.message();
  EXPECT_EQ(entries_in(dir.path()), 1u);
  EXPECT_NE(convert::summarize(*report).find("experts"), std::string::npos);

  auto hf = HearthFile::open(out);
  ASSERT_TRUE(hf) << hf.message();
  EXPECT_TRUE((*hf)->verify_checksums());
  auto folder = models::open_weights(kModelDir);
  ASSERT_TRUE(folder);
  auto names = (*folder)->tensor_names();
  std::sort(names.begin(), names.end());
  auto hnames = (*hf)->tensor_names();
  std::sort(hnames.begin(), hnames.end());
  EXPECT_EQ(names, hnames);
  for (const auto& n : names) EXPECT_EQ((*folder)->tensor(n)->shape, (*hf)->tensor(n)->shape) << n;
  EXPECT_EQ((*hf)->tensor("model.layers.0.mlp.experts.3.up_proj.weight")->format, Format::kQ8G32);
  EXPECT_EQ((*hf)->tensor("model.layers.0.mlp.gate.weight")->format, Format::kBF16);  // router kept
  EXPECT_EQ((*hf)->tokenizer_json(), (*folder)->tokenizer_json());
  EXPECT_EQ((*hf)->config(), (*folder)->config());
  const auto& meta = (*hf)->metadata();
  EXPECT_EQ(meta["converter"]["version"], convert::kConverterVersion);
  EXPECT_EQ(meta["quantization"]["preset"], "q8");
  EXPECT_FALSE(meta["source"]["files"].empty());
  // Experts of one layer are stored back to back.
  const auto& t = (*hf)->index().tensors;
  for (size_t i = 1; i < t.size(); ++i) EXPECT_LT(t[i - 1].offset, t[i].offset);

  auto loaded = models::load_model(out, /*with_tokenizer=*/true);
  ASSERT_TRUE(loaded) << loaded.message();
  for (const auto& c : test::load_golden(kReference)) {
    SCOPED_TRACE(c.prompt);
    EXPECT_EQ(loaded->tokenizer->encode(c.prompt, true), c.input_ids);
    expect_greedy_prefix(*loaded->model, c);
  }
}

TEST(ConvertModel, RefusesNaNTensorsAndLeavesNothing) {
  test::TempDir src, out;
  test::copy_bundled_model(src.path());
  std::string st = test::read_file(src.file("model.safetensors"));
  uint64_t header_len = 0;
  std::memcpy(&header_len, st.data(), 8);
  auto header = nlohmann::json::parse(st.substr(8, header_len));
  const auto& t = header["model.layers.1.mlp.experts.2.down_proj.weight"];
  const size_t at = 8 + header_len + t["data_offsets"][0].get<size_t>() + 2 * 37;
  st[at] = static_cast<char>(0xc0);  // bf16 0x7fc0: NaN
  st[at + 1] = 0x7f;
  test::write_file(src.file("model.safetensors"), st);
  auto r = convert_to(src.path(), out.file("m.hearth"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.message().find("model.layers.1.mlp.experts.2.down_proj.weight"), std::string::npos) << r.message();
  EXPECT_NE(r.message().find("NaN"), std::string::npos) << r.message();
  EXPECT_EQ(entries_in(out.path()), 0u);
}

TEST(ConvertModel, RefusesAConfigThatDisagreesWithTheTensors) {
  test::TempDir src, out;
  test::copy_bundled_model(src.path());
  auto config = nlohmann::json::parse(test::read_file(src.file("config.json")));
  config["moe_intermediate_size"] = 96;
  test::write_file(src.file("config.json"), config.dump());
  auto r = convert_to(src.path(), out.file("m.hearth"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.message().find("config.json implies"), std::string::npos) << r.message();
  EXPECT_EQ(entries_in(out.path()), 0u);
}

TEST(ConvertModel, CommandLineRefusalsExitNonZero) {
  test::TempDir out;
  auto r = test::run_hearth("convert " + kModelDir + " -o " + out.file("no/such/dir/m.hearth") + " -q");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("folder does not exist"), std::string::npos) << r.output;
  auto bad = test::run_hearth("convert " + out.path() + " -o " + out.file("m.hearth") + " -q");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("config.json is missing"), std::string::npos) << bad.output;
  EXPECT_EQ(entries_in(out.path()), 0u);
}

TEST(ConvertModel, FullDiskLeavesNoPartialFile) {
  test::TempDir out;
  const std::string target = out.file("m.hearth");
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const rlimit limit{200000, 200000};  // ~200 KB: the file is ~2.5 MB
    setrlimit(RLIMIT_FSIZE, &limit);
    const int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execl(HEARTH_BINARY, HEARTH_BINARY, "convert", kModelDir.c_str(), "-o", target.c_str(), "-q",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_EQ(entries_in(out.path()), 0u);
}

TEST(ConvertModel, InterruptedWriteLeavesNoFile) {
  test::TempDir out;
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    install_signal_cleanup();
    HearthTensorEntry e;
    e.name = "a";
    e.shape = {64};
    auto w = HearthFileWriter::create(out.file("m.hearth"), "{}", {e});
    if (!w) _exit(3);
    const std::vector<float> data(64, 1.0f);
    if (!(*w)->write_tensor(0, Format::kF32, data.data(), 256, 0, 0)) _exit(4);
    raise(SIGTERM);  // as if the user pressed Ctrl-C / kill during the write
    _exit(5);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  EXPECT_EQ(entries_in(out.path()), 0u);
}

// The converted q8 tiny DeepSeek-V3 (MLA, sigmoid group-limited routing, shared experts) keeps
// the reference's first 16 greedy tokens (or up to its end-of-text token).
TEST(ConvertModel, Q8DeepSeekV3MatchesGreedyReference) {
  const std::string src = std::string(HEARTH_TEST_DATA_DIR) + "/models/tiny-deepseek-v3";
  test::TempDir dir;
  const std::string out = dir.file("tiny-ds-q8.hearth");
  auto report = convert_to(src, out);
  ASSERT_TRUE(report) << report.message();
  auto loaded = models::load_model(out, /*with_tokenizer=*/true);
  ASSERT_TRUE(loaded) << loaded.message();
  for (const auto& c : test::load_golden(src + "/reference.jsonl")) {
    SCOPED_TRACE(c.prompt);
    expect_greedy_prefix(*loaded->model, c);
  }
}

}  // namespace
}  // namespace hearth
