// `hearth profile --text FILE [--ctx N] [--json OUT] [--png OUT] [--trace]`: runs a text through
// the model in windows of --ctx tokens and reports, per MoE layer, how often each expert was
// selected and with what gate weight, coverage (distinct experts per block of N tokens) and the
// reuse-distance histogram; optionally every token's routing. The JSON (format
// "hearth.routing_profile", versioned) feeds hot-expert placement; docs/TRANSPARENCY.md.
// Not here: the statistics (src/inspect/routing_profile.h).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "models/loader.h"
#include "src/inspect/attention_map.h"
#include "src/inspect/output_file.h"
#include "src/inspect/routing_profile.h"
#include "tools/command.h"
#include "tools/common_options.h"

namespace hearth::tools {
namespace {

struct ProfileArgs {
  ModelOptions model;
  std::string text_path;
  int64_t ctx = 256;
  int64_t max_tokens = 0;
  std::string json_out, png_out;
  bool trace = false;
  bool quiet = false;
};

void print_summary(const RoutingProfile& p) {
  std::printf("%lld tokens in %lld windows of up to %lld; %zu MoE layers\n", static_cast<long long>(p.tokens),
              static_cast<long long>(p.windows), static_cast<long long>(p.ctx), p.layers.size());
  std::printf("layer  top experts (share of selections)                 distinct experts per block of");
  for (int64_t n : p.coverage_tokens) std::printf(" %lld", static_cast<long long>(n));
  std::printf(" tokens\n");
  for (const LayerRouting& l : p.layers) {
    std::vector<int64_t> order(static_cast<size_t>(l.n_expert));
    for (int64_t e = 0; e < l.n_expert; ++e) order[static_cast<size_t>(e)] = e;
    std::sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return l.count[static_cast<size_t>(x)] > l.count[static_cast<size_t>(y)]; });
    const double slots = static_cast<double>(l.tokens * l.experts_per_token);
    std::string top;
    for (size_t i = 0; i < std::min<size_t>(4, order.size()); ++i)
      top += fmt::format("e{}:{:.3f} ", order[i], slots > 0 ? static_cast<double>(l.count[static_cast<size_t>(order[i])]) / slots : 0.0);
    std::string cov;
    for (size_t i = 0; i < p.coverage_tokens.size(); ++i)
      cov += l.coverage_blocks[i] ? fmt::format(" {:.1f}", l.coverage_sum[i] / static_cast<double>(l.coverage_blocks[i])) : " -";
    std::printf("%5d  %-50s%s\n", l.layer, top.c_str(), cov.c_str());
  }
}

int run_profile(const ProfileArgs& a) {
  if (a.json_out.size()) {
    Status s = check_output_path(a.json_out, {".json"}, "--json");
    if (!s) return fail("profile", s.message());
  }
  if (a.png_out.size()) {
    Status s = check_output_path(a.png_out, {".png"}, "--png");
    if (!s) return fail("profile", s.message());
  }
  std::ifstream in(a.text_path, std::ios::binary);
  if (!in) return fail("profile", "cannot read the text file " + a.text_path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    return fail("profile", a.text_path + " is empty: give a text file with some content");

  auto loaded = models::load_model(a.model.model, /*with_tokenizer=*/true, load_options(a.model));
  if (!loaded) return fail("profile", loaded.message());
  const Tokenizer& tok = *loaded->tokenizer;
  std::vector<int32_t> ids = tok.encode(text, /*add_special_tokens=*/false);
  if (a.max_tokens > 0 && static_cast<int64_t>(ids.size()) > a.max_tokens) ids.resize(static_cast<size_t>(a.max_tokens));

  RoutingProfileOptions opt;
  opt.ctx = a.ctx;
  opt.trace = a.trace;
  auto progress = [&a](int64_t done, int64_t total) {
    if (!a.quiet) std::fprintf(stderr, "\rprofile: window %lld/%lld", static_cast<long long>(done), static_cast<long long>(total));
    if (!a.quiet && done == total) std::fputc('\n', stderr);
  };
  auto profile = profile_routing(*loaded->model, ids, opt, progress);
  if (!profile) return fail("profile", profile.message());
  print_summary(*profile);
  if (a.json_out.size()) {
    const std::vector<std::string> pieces = a.trace ? token_labels(tok, ids) : std::vector<std::string>{};
    const nlohmann::json j = routing_profile_json(*profile, loaded->weights->description(), pieces);
    Status s = write_text_file(a.json_out, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    if (!s) return fail("profile", s.message());
    std::fprintf(stderr, "wrote %s\n", a.json_out.c_str());
  }
  if (a.png_out.size()) {
    Status s = write_heatmap_png(a.png_out, routing_heatmaps(*profile));
    if (!s) return fail("profile", s.message());
    std::fprintf(stderr, "wrote %s\n", a.png_out.c_str());
  }
  return 0;
}

const CommandRegistration kRegistration({
    "profile",
    "Expert-routing profile of a text: per-layer expert counts and weights, coverage, reuse distances, traces",
    [](CLI::App& app) {
      auto a = std::make_shared<ProfileArgs>();
      add_model_options(app, a->model, /*required=*/false);
      app.add_option("--text", a->text_path, "Text file to run through the model")->required();
      app.add_option("--ctx", a->ctx, "Tokens per window (each window starts at position 0)")
          ->capture_default_str()->check(CLI::PositiveNumber);
      app.add_option("--max-tokens", a->max_tokens, "Use only the first N tokens of the text; 0 = all")
          ->capture_default_str()->check(CLI::NonNegativeNumber);
      app.add_option("--json", a->json_out, "Write the profile as JSON (format hearth.routing_profile)");
      app.add_option("--png", a->png_out, "Write a layers x experts heatmap PNG");
      app.add_flag("--trace", a->trace, "Include every token's experts and weights in the JSON");
      app.add_flag("-q,--quiet", a->quiet, "No progress on stderr");
      return [a] { return run_profile(*a); };
    }});

}  // namespace
}  // namespace hearth::tools
