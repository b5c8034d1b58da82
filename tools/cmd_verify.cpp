// `hearth verify --model OUT.hearth --reference HF_DIR --text FILE [--ctx 256] [--max-tokens N]
// [--json] [--max-kl X] [--kv f32|bf16|q8]`: runs both models over the text and reports
// src/verify/'s metrics. `--model M --reference M --kv q8` measures what the KV cache costs.
// Text is tokenized with the reference's tokenizer, without special tokens.
#include <cstdio>
#include <memory>

#include "models/loader.h"
#include "src/base/mapped_file.h"
#include "src/convert/progress.h"
#include "src/ops/ops.h"
#include "src/verify/verify.h"
#include "tools/command.h"
#include "tools/common_options.h"

namespace hearth::tools {
namespace {

struct VerifyArgs {
  std::string model, reference, text;
  int64_t ctx = 256;
  int64_t max_tokens = 0;
  bool json = false;
  double max_kl = -1;
  int threads = 0;
  MlaForm mla = MlaForm::kAbsorbed;
  KvPrecision kv = KvPrecision::kF32, kv_reference = KvPrecision::kF32;
};

int run_verify(const VerifyArgs& a) {
  const LoadOptions options = load_options(a.threads, a.mla);
  auto ref = models::load_model(a.reference, /*with_tokenizer=*/true, options);
  if (!ref) return fail("verify", "--reference: " + ref.message());
  auto model = models::load_model(a.model, /*with_tokenizer=*/false, options);
  if (!model) return fail("verify", "--model: " + model.message());
  std::fprintf(stderr, "loaded reference in %.3f s, model in %.3f s\n", ref->load_seconds, model->load_seconds);
  auto text = read_text_file(a.text);
  if (!text) return fail("verify", "--text: " + text.message());
  std::vector<int32_t> ids = ref->tokenizer->encode(*text, /*add_special_tokens=*/false);
  if (a.max_tokens > 0 && static_cast<int64_t>(ids.size()) > a.max_tokens) ids.resize(static_cast<size_t>(a.max_tokens));
  convert::Progress bar("verify", "tok");
  verify::VerifyOptions opt;
  opt.ctx = a.ctx;
  opt.kv_model = a.kv;
  opt.kv_reference = a.kv_reference;
  auto report = verify::compare_models(*ref->model, *model->model, ids, opt,
                                       [&bar](int64_t d, int64_t n) { bar.update(double(d), double(n)); });
  bar.finish();
  if (!report) return fail("verify", report.message());
  if (a.json) {
    nlohmann::json j = verify::to_json(*report);
    j["model"] = a.model;
    j["reference"] = a.reference;
    j["text"] = a.text;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    const std::string s = verify::to_text(*report);
    std::fwrite(s.data(), 1, s.size(), stdout);
  }
  if (a.max_kl >= 0 && report->kl_mean > a.max_kl)
    return fail("verify", fmt::format("mean KL {:.6f} exceeds --max-kl {:.6f}", report->kl_mean, a.max_kl));
  return 0;
}

const CommandRegistration kRegistration({
    "verify",
    "Compare a (quantized) model against a reference on a text: perplexity, KL, top-1, hidden states",
    [](CLI::App& app) {
      auto a = std::make_shared<VerifyArgs>();
      app.add_option("-m,--model", a->model, "The model to check (.hearth file or Hugging Face folder)")->required();
      app.add_option("-r,--reference", a->reference, "The reference (Hugging Face folder or .hearth file)")->required();
      app.add_option("--text", a->text, "Text file to evaluate on")->required();
      app.add_option("--ctx", a->ctx, "Window length in tokens; windows do not overlap and every "
                     "predicted position is scored")->capture_default_str()->check(CLI::Range(2, 1 << 20));
      app.add_option("--max-tokens", a->max_tokens, "Use only the first N tokens of the text (0 = all)")
          ->capture_default_str()->check(CLI::NonNegativeNumber);
      app.add_flag("--json", a->json, "Print the report as JSON");
      app.add_option("--max-kl", a->max_kl, "Exit non-zero when the mean KL exceeds this")->check(CLI::NonNegativeNumber);
      add_kv_option(app, a->kv, "--kv", "The model's KV cache");
      add_kv_option(app, a->kv_reference, "--kv-reference", "The reference's KV cache");
      add_load_options(app, a->threads, a->mla);
      return [a] { return run_verify(*a); };
    }});

}  // namespace
}  // namespace hearth::tools
