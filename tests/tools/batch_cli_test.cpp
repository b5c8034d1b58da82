// `hearth batch` through the command line on the bundled tiny model: bad lines get error
// records and the job goes on; killed with SIGKILL (twice) and rerun, the output holds every
// custom_id once with the same greedy results as an uninterrupted run; a torn last line is
// dropped; shards 0/3, 1/3, 2/3 (or the Kubernetes variables) cover the input exactly once;
// the engine options are read and bad ones refused.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "tests/common/test_files.h"

namespace hearth {
namespace {

using Json = nlohmann::json;

std::string request_line(const std::string& id, int i, int max_tokens) {
  static const char* kWords[] = {"apple", "river", "mountain", "cloud", "story", "engine", "garden", "winter"};
  std::string topic;
  for (int k = 0; k < 2 + i % 4; ++k) topic += std::string(k ? " " : "") + kWords[(i * 3 + k) % 8];
  Json line = {{"custom_id", id}, {"method", "POST"}};
  if (i % 2) {
    line["url"] = "/v1/chat/completions";
    line["body"] = {{"messages", {{{"role", "user"}, {"content", "Tell me about " + topic}}}},
                    {"max_tokens", max_tokens}, {"temperature", 0}, {"ignore_eos", true}};
  } else {
    line["url"] = "/v1/completions";
    line["body"] = {{"prompt", "The " + topic + " of " + std::to_string(i)}, {"max_tokens", max_tokens},
                    {"temperature", 0}, {"ignore_eos", true}};
  }
  return line.dump() + "\n";
}

// n greedy requests "req-0" ... "req-<n-1>", chat and completions alternating.
std::string requests(int n, int max_tokens) {
  std::string text;
  for (int i = 0; i < n; ++i) text += request_line("req-" + std::to_string(i), i, max_tokens);
  return text;
}

std::vector<Json> records(const std::string& path) {
  std::vector<Json> out;
  std::istringstream in(test::read_file(path));
  std::string line;
  while (std::getline(in, line)) out.push_back(Json::parse(line));
  return out;
}

// custom_id -> the generated text (the failures' error code instead), each id once.
std::map<std::string, std::string> results_by_id(const std::string& path) {
  std::map<std::string, std::string> out;
  for (const Json& r : records(path)) {
    const std::string id = r["custom_id"];
    EXPECT_FALSE(out.count(id)) << id << " appears twice";
    if (!r["error"].is_null()) {
      out[id] = "error:" + r["error"]["code"].get<std::string>();
      continue;
    }
    const Json& choice = r["response"]["body"]["choices"][0];
    out[id] = choice.contains("text") ? choice["text"] : choice["message"]["content"];
  }
  return out;
}

test::CommandResult batch(const std::string& input, const std::string& output, const std::string& extra = "") {
  return test::run_hearth("batch -t 1 -i " + input + " -o " + output + " " + extra);
}

int64_t count_lines(const std::string& path) {
  const std::string text = test::read_file(path);
  return std::count(text.begin(), text.end(), '\n');
}

// Starts `hearth batch`, waits until the output holds at least `lines` lines, then kills it
// with SIGKILL. Returns the lines the output held when it died.
int64_t run_and_kill(const std::string& input, const std::string& output, int64_t lines) {
  const pid_t pid = fork();
  if (pid == 0) {
    (void)!freopen("/dev/null", "w", stdout);
    (void)!freopen("/dev/null", "w", stderr);
    execl(HEARTH_BINARY, HEARTH_BINARY, "batch", "-t", "1", "--max-sequences", "4", "-i", input.c_str(), "-o",
          output.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (count_lines(output) < lines && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status)) << "the job ended before it was killed";
  return count_lines(output);
}

TEST(BatchCli, BadLinesGetErrorRecordsAndTheJobGoesOn) {
  test::TempDir dir;
  std::string long_prompt;
  for (int i = 0; i < 1200; ++i) long_prompt += "hello world ";
  std::string input = request_line("good-chat", 1, 8);
  input += "this is not json\n";
  input += R"({"custom_id": "bad-url", "method": "POST", "url": "/v1/embeddings", "body": {"input": "x"}})" "\n";
  input += R"({"custom_id": "bad-field", "method": "POST", "url": "/v1/chat/completions",)"
           R"( "body": {"messages": [{"role": "user", "content": "Hi"}], "temperature": "hot"}})" "\n";
  input += Json({{"custom_id", "too-long"}, {"method", "POST"}, {"url", "/v1/completions"},
                 {"body", {{"prompt", long_prompt}}}}).dump() + "\n";
  input += "\n";  // blank lines are skipped
  input += request_line("good-chat", 3, 8);  // a repeated custom_id
  input += R"({"method": "POST", "url": "/v1/completions", "body": {"prompt": "x"}})" "\n";
  input += request_line("good-completion", 2, 8);
  test::write_file(dir.file("in.jsonl"), input);

  const auto r = batch(dir.file("in.jsonl"), dir.file("out.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::vector<Json> out = records(dir.file("out.jsonl"));
  ASSERT_EQ(out.size(), 8u);
  std::map<std::string, std::vector<Json>> by_id;
  for (const Json& rec : out) {
    EXPECT_EQ(rec["id"].get<std::string>().rfind("batch_req_", 0), 0u) << rec;
    by_id[rec["custom_id"]].push_back(rec);
  }

  auto line_error = [&](const std::string& id, const std::string& code) {
    SCOPED_TRACE(id);
    ASSERT_EQ(by_id[id].size(), 1u);
    const Json& rec = by_id[id][0];
    EXPECT_TRUE(rec["response"].is_null());
    EXPECT_EQ(rec["error"]["code"], code);
    EXPECT_FALSE(rec["error"]["message"].get<std::string>().empty());
  };
  line_error("line-2", "invalid_json");
  line_error("bad-url", "invalid_url");
  line_error("line-8", "missing_custom_id");

  auto api_error = [&](const std::string& id, const std::string& param, const std::string& code) {
    SCOPED_TRACE(id);
    ASSERT_EQ(by_id[id].size(), 1u);
    const Json& rec = by_id[id][0];
    EXPECT_EQ(rec["response"]["status_code"], 400);
    const Json& error = rec["response"]["body"]["error"];
    EXPECT_EQ(error["type"], "invalid_request_error");
    EXPECT_EQ(error["param"], param);
    EXPECT_EQ(error["code"], code);
    EXPECT_EQ(rec["error"]["code"], code);
  };
  api_error("bad-field", "temperature", "invalid_type");
  api_error("too-long", "prompt", "context_length_exceeded");

  // The first good-chat line is answered; the repeat gets an error of its own.
  ASSERT_EQ(by_id["good-chat"].size(), 2u);
  int answers = 0, duplicates = 0;
  for (const Json& rec : by_id["good-chat"]) {
    if (rec["error"].is_null()) {
      ++answers;
      EXPECT_EQ(rec["response"]["status_code"], 200);
      const Json& body = rec["response"]["body"];
      EXPECT_EQ(body["object"], "chat.completion");
      EXPECT_EQ(body["model"], "tiny-qwen3-moe");
      EXPECT_EQ(body["choices"][0]["message"]["role"], "assistant");
      EXPECT_EQ(body["choices"][0]["finish_reason"], "length");
      EXPECT_EQ(body["usage"]["completion_tokens"], 8);
    } else {
      ++duplicates;
      EXPECT_EQ(rec["error"]["code"], "duplicate_custom_id");
    }
  }
  EXPECT_EQ(answers, 1);
  EXPECT_EQ(duplicates, 1);
  ASSERT_EQ(by_id["good-completion"].size(), 1u);
  EXPECT_EQ(by_id["good-completion"][0]["response"]["body"]["object"], "text_completion");

  // A rerun finds everything done and writes nothing.
  const std::string before = test::read_file(dir.file("out.jsonl"));
  const auto again = batch(dir.file("in.jsonl"), dir.file("out.jsonl"));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(test::read_file(dir.file("out.jsonl")), before);
  EXPECT_NE(again.output.find("8 already in"), std::string::npos) << again.output;
}

TEST(BatchCli, StopStringEndsWithStopAndIsNotInTheText) {
  test::TempDir dir;
  auto line = [](const std::string& id, const Json& stop) {
    Json body = {{"prompt", "Once upon a time"}, {"max_tokens", 32}, {"temperature", 0}};
    if (!stop.is_null()) body["stop"] = stop;
    return Json({{"custom_id", id}, {"method", "POST"}, {"url", "/v1/completions"}, {"body", body}}).dump() + "\n";
  };
  test::write_file(dir.file("in.jsonl"), line("free", nullptr));
  ASSERT_EQ(batch(dir.file("in.jsonl"), dir.file("free.jsonl")).exit_code, 0);
  const std::string free_text = results_by_id(dir.file("free.jsonl"))["free"];
  ASSERT_GT(free_text.size(), 12u) << free_text;
  const std::string stop = free_text.substr(8, 4);  // text the greedy continuation is sure to reach

  test::write_file(dir.file("in.jsonl"), line("stopped", stop));
  ASSERT_EQ(batch(dir.file("in.jsonl"), dir.file("out.jsonl")).exit_code, 0);
  const std::vector<Json> out = records(dir.file("out.jsonl"));
  ASSERT_EQ(out.size(), 1u);
  const Json& choice = out[0]["response"]["body"]["choices"][0];
  EXPECT_EQ(choice["finish_reason"], "stop");
  EXPECT_EQ(choice["text"], free_text.substr(0, free_text.find(stop)));
}

TEST(BatchCli, KilledTwiceAndRerunEveryResultOnceAndAsUninterrupted) {
  test::TempDir dir;
  constexpr int kRequests = 200;
  test::write_file(dir.file("in.jsonl"), requests(kRequests, 48));
  const auto full = batch(dir.file("in.jsonl"), dir.file("full.jsonl"));
  ASSERT_EQ(full.exit_code, 0) << full.output;
  const auto expected = results_by_id(dir.file("full.jsonl"));
  ASSERT_EQ(expected.size(), static_cast<size_t>(kRequests));

  const int64_t first = run_and_kill(dir.file("in.jsonl"), dir.file("out.jsonl"), 20);
  EXPECT_LT(first, kRequests);
  const int64_t second = run_and_kill(dir.file("in.jsonl"), dir.file("out.jsonl"), first + 60);
  EXPECT_LT(second, kRequests);
  const auto rerun = batch(dir.file("in.jsonl"), dir.file("out.jsonl"));
  ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
  EXPECT_EQ(results_by_id(dir.file("out.jsonl")), expected);
  EXPECT_EQ(count_lines(dir.file("out.jsonl")), kRequests);
}

TEST(BatchCli, TornLastLineIsDroppedAndItsRequestRunAgain) {
  test::TempDir dir;
  test::write_file(dir.file("in.jsonl"), requests(6, 8));
  ASSERT_EQ(batch(dir.file("in.jsonl"), dir.file("full.jsonl")).exit_code, 0);
  const auto expected = results_by_id(dir.file("full.jsonl"));

  // What a process killed inside its last write leaves: the last record cut short.
  std::string text = test::read_file(dir.file("full.jsonl"));
  text.resize(text.size() - 40);
  test::write_file(dir.file("out.jsonl"), text);
  const auto r = batch(dir.file("in.jsonl"), dir.file("out.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("dropped a torn last line"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("5 already in"), std::string::npos) << r.output;
  EXPECT_EQ(results_by_id(dir.file("out.jsonl")), expected);

  // A bad line that is not the last is not ours to drop: the job refuses the file.
  test::write_file(dir.file("other.jsonl"), "garbage\n" + test::read_file(dir.file("full.jsonl")));
  const auto refused = batch(dir.file("in.jsonl"), dir.file("other.jsonl"));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("line 1 is not a hearth batch result record"), std::string::npos) << refused.output;
}

TEST(BatchCli, ShardsCoverTheInputExactlyOnce) {
  test::TempDir dir;
  constexpr int kRequests = 30;
  test::write_file(dir.file("in.jsonl"), requests(kRequests, 2));
  std::set<std::string> covered;
  size_t total = 0;
  std::vector<std::set<std::string>> shards;
  for (int i = 0; i < 3; ++i) {
    const std::string out = dir.file("shard" + std::to_string(i) + ".jsonl");
    const auto r = batch(dir.file("in.jsonl"), out, "--shard " + std::to_string(i) + "/3");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    std::set<std::string> ids;
    for (const auto& [id, text] : results_by_id(out)) ids.insert(id);
    EXPECT_GT(ids.size(), 0u);  // 30 ids over 3 shards: none empty
    total += ids.size();
    covered.insert(ids.begin(), ids.end());
    shards.push_back(ids);
  }
  EXPECT_EQ(total, static_cast<size_t>(kRequests));
  EXPECT_EQ(covered.size(), static_cast<size_t>(kRequests));

  // A Kubernetes Indexed Job's variables pick the same shard.
  setenv("JOB_COMPLETION_INDEX", "1", 1);
  setenv("JOB_COMPLETIONS", "3", 1);
  const auto r = batch(dir.file("in.jsonl"), dir.file("env.jsonl"));
  unsetenv("JOB_COMPLETION_INDEX");
  unsetenv("JOB_COMPLETIONS");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::set<std::string> ids;
  for (const auto& [id, text] : results_by_id(dir.file("env.jsonl"))) ids.insert(id);
  EXPECT_EQ(ids, shards[1]);
}

TEST(BatchCli, OptionsAreReadAndBadOnesRefused) {
  test::TempDir dir;
  test::write_file(dir.file("in.jsonl"), requests(2, 2));
  auto r = batch(dir.file("in.jsonl"), dir.file("a.jsonl"), "--kv-budget 1.5GiB --batch-tokens 64 --max-sequences 2");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("KV budget 1.50 GiB"), std::string::npos) << r.output;
  r = batch(dir.file("in.jsonl"), dir.file("b.jsonl"), "--kv-budget 512M --kv bf16");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("KV budget 512.00 MiB"), std::string::npos) << r.output;
  r = batch(dir.file("in.jsonl"), dir.file("c.jsonl"));
  EXPECT_NE(r.output.find("half of the available memory"), std::string::npos) << r.output;

  r = batch(dir.file("in.jsonl"), dir.file("d.jsonl"), "--kv-budget lots");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("not a size"), std::string::npos) << r.output;
  r = batch(dir.file("in.jsonl"), dir.file("d.jsonl"), "--shard 3/3");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("0 <= I < N"), std::string::npos) << r.output;
  r = batch(dir.file("missing.jsonl"), dir.file("d.jsonl"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("cannot read the input"), std::string::npos) << r.output;
  r = batch(dir.file("in.jsonl"), dir.file("in.jsonl"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("same file"), std::string::npos) << r.output;
  r = test::run_hearth("batch --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag : {"--input", "--output", "--shard", "--kv-budget", "--batch-tokens", "--max-sequences", "--kv"})
    EXPECT_NE(r.output.find(flag), std::string::npos) << flag;
}

}  // namespace
}  // namespace hearth
