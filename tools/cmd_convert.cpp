// `hearth convert HF_DIR -o OUT.hearth --quant q8|q4 [--policy ...] [--calibrate FILE]
// [--threads N] [--max-error X] [--rtn]`: parses options and calls src/convert/.
// The summary goes to stdout; progress to stderr.
#include <cstdio>
#include <memory>

#include "src/convert/convert.h"
#include "src/io/hearth_file_writer.h"
#include "src/ops/ops.h"
#include "tools/command.h"

namespace hearth::tools {
namespace {

struct ConvertArgs {
  convert::ConvertOptions opt;
  int threads = 0;
  bool quiet = false;
};

int run_convert(ConvertArgs& a) {
  ops::set_num_threads(a.threads);
  install_signal_cleanup();  // Ctrl-C / kill leaves no partial file
  a.opt.progress = !a.quiet;
  auto report = convert::convert_checkpoint(a.opt);
  if (!report) return fail("convert", report.message() + "\nno output file was written");
  const std::string s = convert::summarize(*report);
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::printf("wrote %s\n", a.opt.output.c_str());
  return 0;
}

const CommandRegistration kRegistration({
    "convert",
    "Convert a Hugging Face checkpoint into one quantized .hearth file",
    [](CLI::App& app) {
      auto a = std::make_shared<ConvertArgs>();
      app.add_option("source", a->opt.source, "Hugging Face model folder (config.json, *.safetensors, tokenizer.json)")
          ->required();
      app.add_option("-o,--output", a->opt.output, "The .hearth file to write")->required();
      app.add_option("--quant", a->opt.quant, "Preset: q8 (all linear layers int8) or q4 (experts, MLP, "
                     "attention, embedding in 4 bits; LM head int8)")
          ->capture_default_str()->check(CLI::IsMember({"q8", "q4"}));
      app.add_option("--policy", a->opt.policy,
                     "Per-class overrides, e.g. 'experts=q4g32,attn=q8g32,embed=q8g32,lm_head=q8g32'. "
                     "Classes: experts, shared_experts, mlp, attn, embed, lm_head, router, norm, other; "
                     "formats: f32 f16 bf16 q8g32 q4g32 q4g32z q4g32nl keep");
      app.add_option("--calibrate", a->opt.calibrate,
                     "Text file: run the float model over it and weight the rounding by activation statistics");
      app.add_option("--calib-tokens", a->opt.calib_tokens, "Use at most this many calibration tokens")
          ->capture_default_str()->check(CLI::PositiveNumber);
      app.add_option("--max-error", a->opt.max_error,
                     "Escalate a tensor whose relative RMSE exceeds this to a more precise format "
                     "(4-bit -> q8g32 -> float); 0 = off")
          ->capture_default_str()->check(CLI::NonNegativeNumber);
      app.add_flag("--rtn", a->opt.rtn, "Round to nearest (no scale search): the baseline for comparisons");
      app.add_option("-t,--threads", a->threads, "Worker threads (default: all cores)")->check(CLI::NonNegativeNumber);
      app.add_flag("-q,--quiet", a->quiet, "No progress on stderr");
      return [a] { return run_convert(*a); };
    }});

}  // namespace
}  // namespace hearth::tools
