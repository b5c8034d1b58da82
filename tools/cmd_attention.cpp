// `hearth attention --prompt TEXT [--layer L|all|rollout] [--head H|mean|all] --out FILE`: the
// attention probabilities the model used on a prompt (query tokens x key tokens), as a PNG
// heatmap with token labels, a self-contained interactive HTML page, or JSON (the numbers).
// Not here: the capture and rollout (src/inspect/attention_map.h), drawing (src/inspect/).
#include <cstdio>
#include <limits>
#include <memory>
#include <stdexcept>

#include "models/loader.h"
#include "src/inspect/attention_map.h"
#include "src/inspect/heatmap_html.h"
#include "src/inspect/heatmap_png.h"
#include "src/inspect/output_file.h"
#include "tools/command.h"
#include "tools/common_options.h"

namespace hearth::tools {
namespace {

struct AttentionArgs {
  ModelOptions model;
  std::string prompt;
  std::string layer = "all";
  std::string head = "mean";
  std::string out;
  bool no_special = false;
  bool chat = false;
};

int run_attention(const AttentionArgs& a) {
  if (a.prompt.find_first_not_of(" \t\r\n") == std::string::npos)
    return fail("attention", "the prompt is empty: give some text with --prompt");
  Status s = check_output_path(a.out, {".png", ".html", ".json"}, "--out");
  if (!s) return fail("attention", s.message());
  const std::string ext = file_extension(a.out);
  auto loaded = models::load_model(a.model.model, /*with_tokenizer=*/true, load_options(a.model));
  if (!loaded) return fail("attention", loaded.message());
  const Tokenizer& tok = *loaded->tokenizer;
  Model& model = *loaded->model;

  std::string text = a.prompt;
  if (a.chat) {
    auto tmpl = ChatTemplate::from_tokenizer(tok);
    if (!tmpl) return fail("attention", tmpl.message());
    auto r = tmpl->render(nlohmann::json::array({{{"role", "user"}, {"content", a.prompt}}}), true);
    if (!r) return fail("attention", r.message());
    text = *r;
  }
  const std::vector<int32_t> ids = tok.encode(text, !a.no_special && !a.chat);
  if (ids.empty()) return fail("attention", "the prompt is empty after tokenization; give some text with --prompt");

  // Only the requested layer is captured for a PNG/JSON of one layer; HTML pages let the reader
  // pick any layer, and rollout needs them all.
  std::vector<int> layers;
  const bool one_layer = a.layer != "all" && a.layer != "rollout" && ext != ".html";
  if (one_layer) {
    try {
      size_t used = 0;
      const int l = std::stoi(a.layer, &used);
      if (used != a.layer.size()) throw std::invalid_argument(a.layer);
      layers.push_back(l);
    } catch (const std::exception&) {
      return fail("attention", "--layer '" + a.layer + "' is not a layer number, 'all' or 'rollout'");
    }
  }
  auto maps = capture_attention(model, ids, layers);
  if (!maps) return fail("attention", maps.message());
  maps->tokens = token_labels(tok, ids);
  // Check --layer/--head against the model whatever the output, so a typo is reported.
  auto panels = select_panels(*maps, a.layer, a.head);
  if (!panels) return fail("attention", panels.message());

  if (ext == ".json") {
    s = write_text_file(a.out, attention_json(*maps).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  } else if (ext == ".html") {
    const std::string initial = a.layer == "all" ? "0" : a.layer;
    const std::string title = loaded->weights->description() + ": " + a.prompt;
    s = write_text_file(a.out, attention_html(*maps, initial, a.head == "all" ? "mean" : a.head, title));
  } else {
    std::vector<Heatmap> images;
    for (auto& p : *panels) {
      Heatmap h{p.title, p.m.n, p.m.n, std::move(p.m.v), maps->tokens, maps->tokens};
      for (int64_t q = 0; q < h.n_rows; ++q)  // future keys: masked
        for (int64_t k = q + 1; k < h.n_cols; ++k) h.values[static_cast<size_t>(q * h.n_cols + k)] = std::numeric_limits<float>::quiet_NaN();
      images.push_back(std::move(h));
    }
    s = write_heatmap_png(a.out, images);
  }
  if (!s) return fail("attention", s.message());
  std::fprintf(stderr, "hearth attention: %lld tokens, %lld layers x %lld heads captured; wrote %s\n",
               static_cast<long long>(maps->n_tok()), static_cast<long long>(maps->n_layer),
               static_cast<long long>(maps->n_head), a.out.c_str());
  return 0;
}

const CommandRegistration kRegistration({
    "attention",
    "Attention heatmaps of a prompt (query x key tokens) as PNG, interactive HTML or JSON; rollout across layers",
    [](CLI::App& app) {
      auto a = std::make_shared<AttentionArgs>();
      add_model_options(app, a->model, /*required=*/false);
      app.add_option("-p,--prompt", a->prompt, "Prompt text")->required();
      app.add_option("--layer", a->layer, "Layer number, 'all', or 'rollout' (attention rollout across all layers)")
          ->capture_default_str();
      app.add_option("--head", a->head, "Head number, 'mean' (average of the heads) or 'all'")->capture_default_str();
      app.add_option("-o,--out", a->out, "Output: FILE.png (heatmap), FILE.html (interactive page) or FILE.json")
          ->required();
      app.add_flag("--no-special", a->no_special, "Do not add the tokenizer's special tokens (BOS)");
      app.add_flag("--chat", a->chat, "Render the prompt as a user message with the model's chat template");
      return [a] { return run_attention(*a); };
    }});

}  // namespace
}  // namespace hearth::tools
