// `hearth batch`: an offline job over a file in the OpenAI Batch API form. Every request of
// this shard goes to one serving engine (it queues them and batches them), each result is
// appended to the output as it finishes, and a rerun after a kill continues where the last
// run stopped. A bad line gets an error record and the job goes on.
// Not here: the request and response bodies (src/engine/openai_api.h), the results file
// (batch_output.h), what a line must hold (batch_input.h).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <unordered_set>

#include "models/loader.h"
#include "src/engine/engine.h"
#include "src/engine/openai_api.h"
#include "tools/batch_input.h"
#include "tools/batch_output.h"
#include "tools/command.h"
#include "tools/common_options.h"
#include "tools/progress_meter.h"

namespace hearth::tools {
namespace {

struct BatchArgs {
  ModelOptions model;
  EngineOptions engine;
  std::string input, output, shard;
};

// The job's running state, shared by the reading loop and the engine's callbacks (all on
// this thread).
struct Job {
  explicit Job(ResultsFile& file) : results(file) {}
  ResultsFile& results;
  int64_t written = 0, failed = 0, generated_tokens = 0;
  Status write_status = Status::ok();
  std::optional<ProgressMeter> progress;
  int64_t done_before = 0;  // records the output held at start

  int64_t done() const { return done_before + written; }
  void write(const openai::Json& record, bool ok) {
    if (!write_status) return;  // the job is ending; the rest are recomputed on the rerun
    write_status = results.append(record);
    ++written;
    if (!ok) ++failed;
    if (progress) progress->update(done(), generated_tokens);
  }
};

// Turns one line of this shard into an engine request, or writes the error record it gets.
void submit_line(Engine& engine, Job& job, BatchLine line, const openai::ServedModel& served,
                 const std::string& model_name) {
  if (!line.error_code.empty()) {
    job.write(line_error_record(line.custom_id, line.error_code, line.error_message), false);
    return;
  }
  // Without a seed, the custom_id's hash: a sampled result is the same when a job is rerun.
  auto parsed = openai::parse_request(line.endpoint, line.body, served, fnv1a(line.custom_id));
  if (auto* error = std::get_if<openai::ApiError>(&parsed)) {
    job.write(api_error_record(line.custom_id, *error), false);
    return;
  }
  openai::ParsedRequest& p = std::get<openai::ParsedRequest>(parsed);
  if (p.form.stream) {
    job.write(api_error_record(line.custom_id, {400, "stream is not supported in batch jobs; leave it out",
                                                "invalid_request_error", "stream", "unsupported_value"}),
              false);
    return;
  }
  Request request = std::move(p.request);
  request.on_token = [&job](const TokenEvent&) {
    ++job.generated_tokens;
    if (job.progress) job.progress->update(job.done(), job.generated_tokens);
    return job.write_status.is_ok();  // a failed write ends every request at its next token
  };
  request.on_done = [&job, id = line.custom_id, form = p.form,
                     model = p.model.empty() ? model_name : p.model](Completion&& c) {
    auto body = openai::response_body(form, c, openai::new_response_meta(form.endpoint, model));
    if (auto* json = std::get_if<openai::Json>(&body)) {
      job.write(answer_record(id, 200, std::move(*json)), true);
    } else {
      job.write(api_error_record(id, std::get<openai::ApiError>(body)), false);
    }
  };
  auto submitted = engine.submit(std::move(request));
  if (!submitted) job.write(api_error_record(line.custom_id, openai::submit_error(submitted.status())), false);
}

struct ShardLines {
  int64_t total = 0;    // lines of this shard
  int64_t skipped = 0;  // of them, already answered in the output
};

// Reads every line of the input, keeps this shard's, and submits those the output does not
// answer yet. A later line repeating a custom_id gets an error record of its own (its first
// line is the one answered), counted apart so a rerun skips both.
ShardLines submit_shard(std::istream& input, const Shard& shard, Engine& engine, Job& job,
                        const openai::ServedModel& served, const std::string& model_name) {
  ShardLines n;
  std::unordered_set<std::string> seen;
  int64_t line_number = 0;
  std::string text;
  while (std::getline(input, text)) {
    ++line_number;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    BatchLine line = read_batch_line(text, line_number);
    if (!in_shard(line.custom_id, shard)) continue;
    ++n.total;
    auto found = job.results.recorded().find(line.custom_id);
    ResultsFile::Recorded* recorded = found == job.results.recorded().end() ? nullptr : &found->second;
    if (!seen.insert(line.custom_id).second) {
      if (recorded && recorded->duplicate_errors > 0) {
        --recorded->duplicate_errors, ++n.skipped;
      } else {
        job.write(line_error_record(line.custom_id, kDuplicateCustomId,
                                    fmt::format("line {} repeats the custom_id of an earlier line; only the first "
                                                "is run", line_number)),
                  false);
      }
      continue;
    }
    if (recorded && recorded->answered) {
      ++n.skipped;
      continue;
    }
    submit_line(engine, job, std::move(line), served, model_name);
  }
  return n;
}

int run_batch(BatchArgs& a) {
  auto shard = a.shard.empty() ? shard_from_env() : parse_shard(a.shard);
  if (!shard) return fail("batch", shard.message());
  std::ifstream input(a.input, std::ios::binary);
  if (!input) return fail("batch", "cannot read the input " + a.input + ": no such file, or not readable");
  std::error_code ec;
  if (std::filesystem::equivalent(a.input, a.output, ec))
    return fail("batch", "--input and --output are the same file; the results need a file of their own");

  auto results = ResultsFile::open(a.output);
  if (!results) return fail("batch", results.message());
  if ((*results)->torn_bytes() > 0)
    std::fprintf(stderr, "hearth batch: dropped a torn last line (%lld bytes) from %s\n",
                 static_cast<long long>((*results)->torn_bytes()), a.output.c_str());

  auto loaded = models::load_model(a.model.model, /*with_tokenizer=*/true, load_options(a.model));
  if (!loaded) return fail("batch", loaded.message());
  auto chat_template = ChatTemplate::from_tokenizer(*loaded->tokenizer);
  if (!chat_template) return fail("batch", chat_template.message());
  const openai::ServedModel served = openai::served_model(*loaded->model, *loaded->tokenizer, &*chat_template);
  std::fprintf(stderr, "hearth batch: %s\n", apply_default_kv_budget(a.engine).c_str());
  auto engine = Engine::create(*loaded->model, a.engine, loaded->tokenizer.get());
  if (!engine) return fail("batch", engine.message());

  Job job(**results);
  const ShardLines lines = submit_shard(input, *shard, **engine, job, served, served_model_name(a.model.model));
  if (input.bad()) return fail("batch", "reading " + a.input + " failed");
  const int64_t total = lines.total, skipped = lines.skipped;
  job.done_before = skipped;
  std::fprintf(stderr, "hearth batch: %lld requests in shard %lld/%lld, %lld already in %s\n",
               static_cast<long long>(total), static_cast<long long>(shard->index),
               static_cast<long long>(shard->count), static_cast<long long>(skipped), a.output.c_str());

  job.progress.emplace("hearth batch", total, job.done(), isatty(STDERR_FILENO) != 0);
  (*engine)->run_until_idle();
  job.progress->finish(job.done(), job.generated_tokens);
  if (!job.write_status) return fail("batch", job.write_status.message());
  if (Status s = job.results.sync(); !s) return fail("batch", s.message());
  const EngineStats st = (*engine)->stats();
  std::fprintf(stderr, "hearth batch: %lld results written (%lld failed), %lld tokens generated; prompts %lld tokens, "
               "%lld of them from the prefix cache; %lld preemptions\n",
               static_cast<long long>(job.written), static_cast<long long>(job.failed),
               static_cast<long long>(job.generated_tokens), static_cast<long long>(st.prompt_tokens),
               static_cast<long long>(st.cached_prompt_tokens), static_cast<long long>(st.preemptions));
  return 0;
}

const CommandRegistration kRegistration({
    "batch",
    "Run an OpenAI Batch API file (JSONL) offline: resumable, shardable, one result line per request",
    [](CLI::App& app) {
      auto a = std::make_shared<BatchArgs>();
      add_model_options(app, a->model, /*required=*/false);
      add_kv_option(app, a->engine.kv);
      add_engine_options(app, a->engine);
      app.add_option("-i,--input", a->input, "Requests, one JSON object a line (OpenAI Batch API form)")->required();
      app.add_option("-o,--output", a->output,
                     "Results, one JSON object a line, appended as they finish; a rerun skips the custom_ids "
                     "already in it")
          ->required();
      app.add_option("--shard", a->shard,
                     "Run only shard I of N (I/N, from 0): the custom_ids whose FNV-1a hash mod N is I "
                     "(default: JOB_COMPLETION_INDEX/JOB_COMPLETIONS when set, else everything)");
      app.footer(
          "Input line:  {\"custom_id\": \"q1\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\",\n"
          "              \"body\": {\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"max_tokens\": 64}}\n"
          "url is /v1/chat/completions or /v1/completions; body is what OpenAI's API takes (plus top_k, min_p,\n"
          "repeat_penalty). Output line: {\"id\", \"custom_id\", \"response\": {\"status_code\", \"request_id\",\n"
          "\"body\"}, \"error\"}, body exactly what the API answers; a request that failed has a non-null error\n"
          "(and response null when the line never reached the API: not JSON, no custom_id, unknown url, a repeated\n"
          "custom_id). Results come in the order they finish. Killed and rerun with the same --output, the job\n"
          "drops a torn last line, skips what is done and runs the rest. Without a seed, a request samples with\n"
          "its custom_id's hash, so reruns agree.");
      return [a] { return run_batch(*a); };
    }});

}  // namespace
}  // namespace hearth::tools
