// `hearth logits`: the model's float logits as JSON, through exactly the generation path
// (prefill batches, then single tokens through the KV cache). The way verification tooling
// and the reference tests look into the model.
#include <cstdio>
#include <memory>
#include <sstream>

#include "models/loader.h"
#include "src/model/batch.h"
#include "src/model/kv_cache.h"
#include "src/ops/ops.h"
#include "tools/command.h"
#include "tools/common_options.h"

namespace hearth::tools {
namespace {

struct LogitsArgs {
  ModelOptions model;
  std::string ids_text;
  std::string prompt;
  std::string positions = "last";
  int64_t prefill = -1;  // -1: all ids in one prefill batch
  int32_t start_pos = 0;
  bool no_special = false;
};

Result<std::vector<int32_t>> parse_ids(const std::string& text) {
  std::vector<int32_t> ids;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      size_t used = 0;
      const long v = std::stol(item, &used);
      if (used != item.size() || v < 0 || v > INT32_MAX) throw std::invalid_argument(item);
      ids.push_back(static_cast<int32_t>(v));
    } catch (const std::exception&) {
      return Status::errorf("--ids: '{}' is not a token id (expected comma-separated non-negative integers)", item);
    }
  }
  return ids;
}

int run_logits(LogitsArgs& a) {
  if (a.ids_text.empty() && a.prompt.empty()) return fail("logits", "give the tokens with --ids or --prompt");
  const bool from_prompt = !a.prompt.empty();
  auto loaded = models::load_model(a.model.model, /*with_tokenizer=*/from_prompt, load_options(a.model));
  if (!loaded) return fail("logits", loaded.message());
  std::vector<int32_t> ids;
  if (from_prompt) {
    ids = loaded->tokenizer->encode(a.prompt, !a.no_special);
  } else {
    auto parsed = parse_ids(a.ids_text);
    if (!parsed) return fail("logits", parsed.message());
    ids = parsed.value();
  }
  if (ids.empty()) return fail("logits", "no tokens to run (give --ids or a non-empty --prompt)");
  const auto n = static_cast<int64_t>(ids.size());
  const int64_t prefill = a.prefill < 0 ? n : std::min<int64_t>(std::max<int64_t>(a.prefill, 1), n);
  const bool all = a.positions == "all";

  Model& model = *loaded->model;
  KvCache cache(model.kv_layout(), a.model.kv);
  const int32_t seq = cache.add_sequence();
  std::vector<std::vector<float>> rows;
  std::vector<float> logits;
  Batch batch;
  for (int64_t i = 0; i < prefill; ++i) batch.add(ids[static_cast<size_t>(i)], a.start_pos + static_cast<int32_t>(i), seq, all || i + 1 == n);
  Status s = model.forward(batch, cache, logits);
  if (!s) return fail("logits", s.message());
  const int64_t v = model.info().n_vocab;
  for (int64_t j = 0; j < batch.n_outputs(); ++j) rows.emplace_back(logits.begin() + j * v, logits.begin() + (j + 1) * v);
  for (int64_t i = prefill; i < n; ++i) {
    batch.clear();
    batch.add(ids[static_cast<size_t>(i)], a.start_pos + static_cast<int32_t>(i), seq, all || i + 1 == n);
    s = model.forward(batch, cache, logits);
    if (!s) return fail("logits", s.message());
    if (batch.n_outputs()) rows.push_back(logits);
  }

  std::string out = "{\"ids\": [";
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? ", " : "") + std::to_string(ids[i]);
  out += "], \"logits\": [";
  for (size_t r = 0; r < rows.size(); ++r) {
    out += r ? ", [" : "[";
    for (size_t i = 0; i < rows[r].size(); ++i) out += (i ? ", " : "") + fmt::format("{}", rows[r][i]);
    out += "]";
  }
  out += "]}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

const CommandRegistration kRegistration({
    "logits",
    "Print the model's float logits as JSON {\"ids\": [...], \"logits\": [[...], ...]}",
    [](CLI::App& app) {
      auto a = std::make_shared<LogitsArgs>();
      add_model_options(app, a->model, /*required=*/false);
      add_kv_option(app, a->model.kv);
      auto* ids = app.add_option("--ids", a->ids_text, "Token ids, comma-separated (e.g. 1,2,3)");
      auto* prompt = app.add_option("--prompt", a->prompt, "Text to tokenize instead of --ids");
      ids->excludes(prompt);
      app.add_flag("--no-special", a->no_special, "With --prompt: do not add special tokens (BOS)");
      app.add_option("--positions", a->positions, "Which positions to print: all or last")
          ->capture_default_str()->check(CLI::IsMember({"all", "last"}));
      app.add_option("--prefill", a->prefill,
                     "Run the first K ids as one prefill batch and the rest one at a time through the "
                     "KV cache, as generation does (default: all ids in one batch)")
          ->check(CLI::NonNegativeNumber);
      app.add_option("--start-pos", a->start_pos,
                     "Position of the first id (tests long-context RoPE without a long prompt)")
          ->capture_default_str()->check(CLI::NonNegativeNumber);
      return [a] { return run_logits(*a); };
    }});

}  // namespace
}  // namespace hearth::tools
