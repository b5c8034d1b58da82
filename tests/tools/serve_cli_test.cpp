// `hearth serve` through the command line on the bundled tiny model, checked with curl: the
// raw SSE framing, the OpenAI error bodies (bad JSON, wrong types, unknown paths, oversized
// and over-deep bodies), /metrics' text format, the key (401), a full queue (429 with
// Retry-After), a client leaving mid-stream (cancelled, its sequence gone within a step), a
// slow client cut off by the read timeout, SIGTERM with requests in flight (all complete,
// exit 0), and kill -9 then a restart on the same port.
// Not here: the official client library (tests/server/openai_client_test.mjs).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/common/test_files.h"

namespace hearth {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// `hearth serve --port 0 -t 1 ...` as a child process; the address comes from its first line.
class ServeProcess {
 public:
  explicit ServeProcess(const std::vector<std::string>& extra, const std::string& port = "0") {
    stderr_path_ = dir_.file("stderr.txt");
    int out[2];
    EXPECT_EQ(pipe(out), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      (void)!freopen(stderr_path_.c_str(), "w", stderr);
      close(out[0]);
      std::vector<std::string> args = {HEARTH_BINARY, "serve", "--port", port, "-t", "1"};
      args.insert(args.end(), extra.begin(), extra.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(HEARTH_BINARY, argv.data());
      _exit(127);
    }
    close(out[1]);
    stdout_fd_ = out[0];
    std::string line;
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    const std::regex address(R"(listening on (http://[0-9.]+:([0-9]+)))");
    std::smatch m;
    while (Clock::now() < deadline) {
      pollfd p{stdout_fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char c;
      if (read(stdout_fd_, &c, 1) != 1) break;
      if (c != '\n') {
        line += c;
        continue;
      }
      if (std::regex_search(line, m, address)) {
        url_ = m[1];
        port_ = m[2];
        return;
      }
      line.clear();
    }
    ADD_FAILURE() << "the server printed no address; its stderr:\n" << log();
  }
  ~ServeProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdout_fd_ >= 0) close(stdout_fd_);
  }
  const std::string& url() const { return url_; }
  const std::string& port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string log() const { return test::read_file(stderr_path_); }
  const test::TempDir& dir() const { return dir_; }
  // Sends `sig` and waits for the exit; the exit code, or -1 when it died of a signal or did
  // not end within `seconds`.
  int signal_and_wait(int sig, int seconds = 60) {
    kill(pid_, sig);
    const auto deadline = Clock::now() + std::chrono::seconds(seconds);
    int status = 0;
    while (Clock::now() < deadline) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

 private:
  test::TempDir dir_;
  std::string stderr_path_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string url_, port_;
};

struct CurlResult {
  int status = 0;  // HTTP status
  std::string headers, body;
};

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs curl with `args`; headers and body apart.
CurlResult curl(const std::string& args) {
  const std::string cmd = "curl -sS -N -i --max-time 120 " + args + " 2>&1";
  CurlResult r;
  FILE* p = popen(cmd.c_str(), "r");
  std::string all;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) all.append(buf, n);
  pclose(p);
  const size_t split = all.find("\r\n\r\n");
  r.headers = all.substr(0, split);
  r.body = split == std::string::npos ? "" : all.substr(split + 4);
  std::smatch m;
  if (std::regex_search(r.headers, m, std::regex(R"(HTTP/1\.1 ([0-9]+))"))) r.status = std::stoi(m[1]);
  return r;
}

CurlResult post(const ServeProcess& s, const std::string& path, const std::string& body, const std::string& extra = "") {
  return curl(extra + " -H 'Content-Type: application/json' --data-binary " + shell_quote(body) + " " + s.url() + path);
}

CurlResult get(const ServeProcess& s, const std::string& path, const std::string& extra = "") {
  return curl(extra + " " + s.url() + path);
}

// The data: payloads of an SSE body, checking the framing on the way: every event is one
// "data: ..." line (or one ": comment" line) followed by a blank line.
std::vector<std::string> sse_events(const std::string& body) {
  std::vector<std::string> events;
  size_t at = 0;
  while (at < body.size()) {
    const size_t end = body.find("\n\n", at);
    EXPECT_NE(end, std::string::npos) << "an event without its blank line: " << body.substr(at);
    if (end == std::string::npos) break;
    const std::string event = body.substr(at, end - at);
    at = end + 2;
    if (event.rfind(": ", 0) == 0) continue;  // a comment (a stream still queued says so each second)
    EXPECT_EQ(event.rfind("data: ", 0), 0u) << "not a data line: " << event;
    EXPECT_EQ(event.find('\n'), std::string::npos) << "an event of several lines: " << event;
    events.push_back(event.substr(6));
  }
  return events;
}

// The value of an unlabelled metric in the /metrics text; -1 when absent.
double metric(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  return -1;
}

const char* kChat = R"({"messages": [{"role": "user", "content": "Name three rivers."}], "max_tokens": 12, "temperature": 0})";

std::string long_stream(const char* endpoint_body_kind, int max_tokens) {
  Json body = {{"max_tokens", max_tokens}, {"temperature", 0}, {"ignore_eos", true}, {"stream", true}};
  if (std::string(endpoint_body_kind) == "chat") {
    body["messages"] = {{{"role", "user"}, {"content", "Tell me a long story."}}};
  } else {
    body["prompt"] = "Once upon a time";
  }
  return body.dump();
}

TEST(ServeCli, HealthModelsAndAnswers) {
  ServeProcess s({});
  ASSERT_FALSE(s.url().empty());
  CurlResult health = get(s, "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(Json::parse(health.body)["status"], "ok");
  CurlResult models = get(s, "/v1/models");
  ASSERT_EQ(models.status, 200) << models.body;
  EXPECT_EQ(Json::parse(models.body)["data"][0]["id"], "tiny-qwen3-moe");

  CurlResult chat = post(s, "/v1/chat/completions", kChat);
  ASSERT_EQ(chat.status, 200) << chat.body;
  const Json c = Json::parse(chat.body);
  EXPECT_EQ(c["object"], "chat.completion");
  EXPECT_EQ(c["model"], "tiny-qwen3-moe");
  EXPECT_GT(c["usage"]["completion_tokens"].get<int>(), 0);
  EXPECT_LE(c["usage"]["completion_tokens"].get<int>(), 12);

  CurlResult completion = post(s, "/v1/completions", R"({"prompt": "Once upon a time", "max_tokens": 5, "model": "mine"})");
  ASSERT_EQ(completion.status, 200) << completion.body;
  EXPECT_EQ(Json::parse(completion.body)["object"], "text_completion");
  EXPECT_EQ(Json::parse(completion.body)["model"], "mine");
}

TEST(ServeCli, StreamsServerSentEvents) {
  ServeProcess s({});
  const Json whole = Json::parse(post(s, "/v1/chat/completions", kChat).body);
  Json body = Json::parse(kChat);
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  CurlResult r = post(s, "/v1/chat/completions", body.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.headers.find("Content-Type: text/event-stream"), std::string::npos) << r.headers;
  const std::vector<std::string> events = sse_events(r.body);
  ASSERT_GE(events.size(), 4u) << r.body;
  EXPECT_EQ(events.back(), "[DONE]");
  const Json first = Json::parse(events.front());
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  const Json usage = Json::parse(events[events.size() - 2]);
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["prompt_tokens"], whole["usage"]["prompt_tokens"]);
  EXPECT_EQ(usage["usage"]["completion_tokens"], whole["usage"]["completion_tokens"]);
  std::string content, finish;
  std::set<std::string> ids;
  for (size_t i = 0; i + 2 < events.size(); ++i) {
    const Json chunk = Json::parse(events[i]);
    ids.insert(chunk["id"].get<std::string>());
    const Json& choice = chunk["choices"][0];
    if (choice["delta"].contains("content")) content += choice["delta"]["content"].get<std::string>();
    if (!choice["finish_reason"].is_null()) finish = choice["finish_reason"];
  }
  EXPECT_EQ(ids.size(), 1u) << "every chunk carries the one response id";
  EXPECT_EQ(content, whole["choices"][0]["message"]["content"]);
  EXPECT_EQ(finish, whole["choices"][0]["finish_reason"]);

  CurlResult text = post(s, "/v1/completions", long_stream("completion", 6));
  ASSERT_EQ(text.status, 200);
  const std::vector<std::string> chunks = sse_events(text.body);
  ASSERT_GE(chunks.size(), 2u);
  EXPECT_EQ(chunks.back(), "[DONE]");
  EXPECT_EQ(Json::parse(chunks[chunks.size() - 2])["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(Json::parse(chunks.front())["object"], "text_completion");
}

void expect_error(const CurlResult& r, int status, const std::string& param = "") {
  EXPECT_EQ(r.status, status) << r.headers << "\n" << r.body;
  Json body;
  ASSERT_NO_THROW(body = Json::parse(r.body)) << r.body;
  ASSERT_TRUE(body.contains("error")) << r.body;
  const Json& e = body["error"];
  for (const char* key : {"message", "type", "param", "code"}) EXPECT_TRUE(e.contains(key)) << key << " in " << r.body;
  EXPECT_FALSE(e["message"].get<std::string>().empty());
  if (!param.empty()) {
    EXPECT_EQ(e["param"], param) << r.body;
  }
}

TEST(ServeCli, BadRequestsGetOpenAiErrorBodies) {
  ServeProcess s({"--max-body", "4k"});
  expect_error(post(s, "/v1/chat/completions", "{not json"), 400);
  expect_error(post(s, "/v1/chat/completions", "[1, 2]"), 400);
  expect_error(post(s, "/v1/chat/completions", R"({"messages": [{"role": "user", "content": "Hi"}], "temperature": "hot"})"),
               400, "temperature");
  expect_error(post(s, "/v1/completions", R"({"prompt": "Hi", "max_tokens": -3})"), 400, "max_tokens");
  expect_error(post(s, "/v1/chat/completions", R"({"messages": [{"role": "user", "content": "Hi"}], "n": 2})"), 400, "n");
  expect_error(post(s, "/v1/embeddings", R"({"input": "Hi"})"), 404);
  expect_error(post(s, "/v1/completions", std::string(100, '[') + std::string(100, ']')), 400);
  std::string big = R"({"prompt": ")" + std::string(8000, 'a') + R"("})";
  expect_error(post(s, "/v1/completions", big), 413);
  EXPECT_EQ(get(s, "/health").status, 200) << "the server still answers";
}

TEST(ServeCli, MetricsAreInPrometheusTextFormat) {
  ServeProcess s({});
  ASSERT_EQ(post(s, "/v1/chat/completions", kChat).status, 200);
  post(s, "/v1/chat/completions", "{");
  CurlResult r = get(s, "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.headers.find("text/plain; version=0.0.4"), std::string::npos);
  // Every line is a comment (# HELP / # TYPE) or `name{labels} value`, every name hearth_.
  const std::regex sample(R"(^hearth_[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [-+0-9.eEinfINF]+$)");
  const std::regex comment(R"(^# (HELP|TYPE) hearth_[a-z_]+ .+$)");
  std::istringstream in(r.body);
  std::string line;
  int samples = 0;
  while (std::getline(in, line)) {
    EXPECT_TRUE(std::regex_match(line, sample) || std::regex_match(line, comment)) << line;
    samples += line[0] != '#';
  }
  EXPECT_GT(samples, 40);
  EXPECT_NE(r.body.find(R"(hearth_requests_total{endpoint="chat_completions",outcome="ok"} 1)"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"(hearth_requests_total{endpoint="chat_completions",outcome="client_error"} 1)"), std::string::npos);
  EXPECT_NE(r.body.find("hearth_time_to_first_token_seconds_count 1"), std::string::npos);
  EXPECT_NE(r.body.find(R"(hearth_inter_token_latency_seconds_bucket{le="+Inf"})"), std::string::npos);
  EXPECT_NE(r.body.find("hearth_request_duration_seconds_sum"), std::string::npos);
  EXPECT_GT(metric(r.body, "hearth_kv_pages_total"), 0);
  EXPECT_GT(metric(r.body, "hearth_generated_tokens_total"), 0);
  EXPECT_GT(metric(r.body, "hearth_batch_rows_per_step"), 0);
  EXPECT_EQ(metric(r.body, "hearth_running_sequences"), 0);
  EXPECT_GE(metric(r.body, "hearth_prefix_cache_hit_ratio"), 0);
}

TEST(ServeCli, AKeyIsAskedForAndNeverLogged) {
  test::TempDir dir;
  test::write_file(dir.file("key"), "sk-secret-123\n");
  ServeProcess s({"--api-key-file", dir.file("key")});
  expect_error(get(s, "/v1/models"), 401);
  expect_error(get(s, "/v1/models", "-H 'Authorization: Bearer sk-secret-124'"), 401);
  expect_error(post(s, "/v1/chat/completions", kChat, "-H 'Authorization: Bearer sk-secret'"), 401);
  expect_error(get(s, "/metrics"), 401);
  EXPECT_EQ(get(s, "/v1/models", "-H 'Authorization: Bearer sk-secret-123'").status, 200);
  EXPECT_EQ(post(s, "/v1/chat/completions", kChat, "-H 'Authorization: Bearer sk-secret-123'").status, 200);
  EXPECT_EQ(get(s, "/health").status, 200) << "health needs no key";
  EXPECT_EQ(s.signal_and_wait(SIGTERM), 0);
  EXPECT_EQ(s.log().find("sk-secret"), std::string::npos) << s.log();
}

// Starts curl in the background on a long stream; read its output with pclose_read.
FILE* background_post(const ServeProcess& s, const std::string& path, const std::string& body,
                      const std::string& extra = "") {
  const std::string cmd = "curl -sS -N -i " + extra + " -H 'Content-Type: application/json' --data-binary " +
                          shell_quote(body) + " " + s.url() + path + " 2>&1";
  return popen(cmd.c_str(), "r");
}

std::string pclose_read(FILE* p) {
  std::string all;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) all.append(buf, n);
  pclose(p);
  return all;
}

// Polls /metrics until `name` satisfies `ok` (or 30 s pass); the last text.
std::string wait_metric(const ServeProcess& s, const std::string& name, const std::function<bool(double)>& ok,
                        const std::string& extra = "") {
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  std::string text;
  while (Clock::now() < deadline) {
    text = get(s, "/metrics", extra).body;
    if (ok(metric(text, name))) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return text;
}

TEST(ServeCli, AFullQueueGets429WithRetryAfter) {
  ServeProcess s({"--max-sequences", "1", "--max-waiting", "0"});
  // 1900 tokens take the tiny model most of a second on one thread.
  FILE* busy = background_post(s, "/v1/completions", long_stream("completion", 1900));
  wait_metric(s, "hearth_requests_in_flight", [](double v) { return v >= 1; });
  CurlResult r = post(s, "/v1/chat/completions", kChat);
  expect_error(r, 429);
  EXPECT_NE(r.headers.find("Retry-After: 1"), std::string::npos) << r.headers;
  EXPECT_NE(pclose_read(busy).find("data: [DONE]"), std::string::npos);
  EXPECT_EQ(post(s, "/v1/chat/completions", kChat).status, 200) << "a slot again once the first ended";
}

TEST(ServeCli, AClientThatLeavesIsCancelledAndItsPagesReturn) {
  ServeProcess s({});
  const std::string idle = get(s, "/metrics").body;
  const double pages_idle = metric(idle, "hearth_kv_pages_used");
  // The client reads a few events and leaves (head closes the pipe, curl ends on the next
  // write) from a stream that would run far longer.
  const std::string cmd = "curl -s -N -H 'Content-Type: application/json' --data-binary " +
                          shell_quote(long_stream("chat", 1900)) + " " + s.url() + "/v1/chat/completions | head -c 600";
  FILE* leaver = popen(cmd.c_str(), "r");
  EXPECT_EQ(pclose_read(leaver).size(), 600u);
  const std::string after = wait_metric(s, "hearth_running_sequences", [](double v) { return v == 0; });
  EXPECT_EQ(metric(after, "hearth_running_sequences"), 0);
  EXPECT_EQ(metric(after, "hearth_waiting_sequences"), 0);
  EXPECT_EQ(metric(after, "hearth_requests_in_flight"), 0);
  EXPECT_NE(after.find(R"(hearth_requests_total{endpoint="chat_completions",outcome="cancelled"} 1)"), std::string::npos)
      << after;
  EXPECT_LT(metric(after, "hearth_generated_tokens_total"), 1900);
  // What stays in use is the prefix cache's full pages of the prompt and the text so far; the
  // sequence's own last page went back.
  const double generated = metric(after, "hearth_generated_tokens_total");
  const double prompt = metric(after, "hearth_prompt_tokens_total");
  EXPECT_LE(metric(after, "hearth_kv_pages_used") - pages_idle, (prompt + generated) / 16) << after;
  EXPECT_EQ(post(s, "/v1/chat/completions", kChat).status, 200);
}

TEST(ServeCli, AClientThatLeavesWhileQueuedIsCancelledBeforeItRuns) {
  // One sequence at a time, eight long requests ahead (seconds of work), then a stream whose
  // client gives up after a second, still queued.
  ServeProcess s({"--max-sequences", "1"});
  std::vector<FILE*> busy;
  Json whole = Json::parse(long_stream("completion", 1900));
  whole.erase("stream");
  for (int i = 0; i < 8; ++i) busy.push_back(background_post(s, "/v1/completions", whole.dump()));
  wait_metric(s, "hearth_requests_in_flight", [](double v) { return v >= 8; });
  FILE* leaver = background_post(s, "/v1/completions", long_stream("completion", 1900), "--max-time 1");
  pclose_read(leaver);
  for (FILE* p : busy) EXPECT_NE(pclose_read(p).find(R"("completion_tokens":1900)"), std::string::npos);
  const std::string after = wait_metric(s, "hearth_requests_in_flight", [](double v) { return v == 0; });
  EXPECT_NE(after.find(R"(hearth_requests_total{endpoint="completions",outcome="cancelled"} 1)"), std::string::npos)
      << after;
  EXPECT_EQ(metric(after, "hearth_generated_tokens_total"), 8 * 1900) << "the queued one never generated";
}

TEST(ServeCli, ABurstOfClientsConnectingAtOnceAllComplete) {
  // More connections at once than httplib's own listen backlog (5) holds.
  ServeProcess s({});
  std::vector<FILE*> clients;
  for (int i = 0; i < 64; ++i)
    clients.push_back(background_post(s, i % 2 ? "/v1/completions" : "/v1/chat/completions",
                                      i % 2 ? long_stream("completion", 16) : long_stream("chat", 16)));
  int done = 0;
  for (FILE* p : clients) done += pclose_read(p).find("data: [DONE]") != std::string::npos;
  EXPECT_EQ(done, 64);
}

TEST(ServeCli, ASlowClientIsCutOffByTheReadTimeout) {
  ServeProcess s({"--read-timeout", "1"});
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(s.port())));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const std::string partial = "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"pro";
  ASSERT_EQ(write(fd, partial.data(), partial.size()), static_cast<ssize_t>(partial.size()));
  const auto start = Clock::now();
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 10000), 1) << "the server still holds the connection after 10 s";
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 3.0);
  char buf[512];
  const ssize_t n = read(fd, buf, sizeof(buf));
  EXPECT_TRUE(n == 0 || std::string(buf, static_cast<size_t>(std::max<ssize_t>(n, 0))).rfind("HTTP/1.1 400", 0) == 0)
      << "the server answers the torn request with 400 or just closes it";
  close(fd);
  // A connection that sends nothing is closed within the read timeout too.
  const int idle = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(connect(idle, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const auto idle_start = Clock::now();
  pollfd q{idle, POLLIN, 0};
  ASSERT_EQ(poll(&q, 1, 10000), 1);
  EXPECT_EQ(read(idle, buf, sizeof(buf)), 0);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - idle_start).count(), 3.0);
  close(idle);
  EXPECT_EQ(get(s, "/health").status, 200);
}

TEST(ServeCli, SigtermDrainsRequestsInFlightAndExitsZero) {
  // One sequence at a time: the four requests (one running, three waiting) take seconds.
  ServeProcess s({"--drain-timeout", "60", "--max-sequences", "1"});
  std::vector<FILE*> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(background_post(s, "/v1/completions", long_stream("completion", 1500)));
  Json whole = Json::parse(kChat);
  whole["max_tokens"] = 1500;
  whole["ignore_eos"] = true;
  clients.push_back(background_post(s, "/v1/chat/completions", whole.dump()));
  wait_metric(s, "hearth_requests_in_flight", [](double v) { return v >= 4; });
  kill(s.pid(), SIGTERM);
  // Draining: /health and new requests get 503 while the four finish.
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  CurlResult health;
  while (Clock::now() < deadline && (health = get(s, "/health")).status != 503)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(health.status, 503);
  expect_error(post(s, "/v1/chat/completions", kChat), 503);
  for (size_t i = 0; i < clients.size(); ++i) {
    const std::string out = pclose_read(clients[i]);
    if (i < 3) {
      EXPECT_NE(out.find("data: [DONE]"), std::string::npos) << out;
      EXPECT_NE(out.find(R"("finish_reason":"length")"), std::string::npos) << out;
    } else {
      EXPECT_NE(out.find(R"("completion_tokens":1500)"), std::string::npos) << out;
    }
  }
  EXPECT_EQ(s.signal_and_wait(0), 0) << s.log();
}

TEST(ServeCli, KilledAndRestartedOnTheSamePortItServesAgain) {
  std::string port;
  {
    ServeProcess first({});
    port = first.port();
    EXPECT_EQ(post(first, "/v1/chat/completions", kChat).status, 200);
    EXPECT_EQ(first.signal_and_wait(SIGKILL), -1);
  }
  ServeProcess second({}, port);
  ASSERT_EQ(second.port(), port) << second.log();
  EXPECT_EQ(get(second, "/health").status, 200);
  EXPECT_EQ(post(second, "/v1/chat/completions", kChat).status, 200);
}

TEST(ServeCli, RefusesABadKeyFileAndAPortInUse) {
  auto r = test::run_hearth("serve --port 0 --api-key-file /nonexistent/key");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("API key file"), std::string::npos) << r.output;
  ServeProcess s({});
  r = test::run_hearth("serve -t 1 --port " + s.port());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("cannot listen"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace hearth
