// `hearth synth --shape NAME -o DIR`: writes a Hugging Face folder (config.json,
// model.safetensors with random bf16 weights in the real layout, a byte-level BPE
// tokenizer.json of the shape's vocabulary size, tokenizer_config.json) for benchmarks, so no
// Python is needed to benchmark. Progress on stderr.
// The shapes, their tensors and initialisation: models/synth_shapes.h; the weights, streamed
// to disk: models/synth_weights.h; the tokenizer: synth_tokenizer.h.
// Not here: test checkpoints with references (models/synth.py), quantization (hearth convert).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "models/synth_shapes.h"
#include "models/synth_weights.h"
#include "src/io/temp_file.h"
#include "tools/command.h"
#include "tools/synth_tokenizer.h"

namespace hearth::tools {
namespace {

struct SynthArgs {
  std::string shape;
  std::string out;
};

int run_synth(const SynthArgs& a) {
  const models::SynthShape* shape = models::find_synth_shape(a.shape);
  if (!shape) return fail("synth", "unknown shape '" + a.shape + "'; expected one of: " + models::synth_shape_names());
  std::error_code ec;
  std::filesystem::create_directories(a.out, ec);
  if (ec) return fail("synth", "cannot create " + a.out + ": " + ec.message());
  const std::filesystem::path dir(a.out);
  std::ofstream(dir / "config.json") << models::synth_config(*shape).dump(2) << "\n";
  std::ofstream(dir / "generation_config.json") << models::synth_generation_config(*shape).dump(2) << "\n";
  std::fprintf(stderr, "synth: tokenizer with %lld tokens\n", static_cast<long long>(shape->n_vocab));
  std::ofstream(dir / "tokenizer.json") << synth_tokenizer_json(shape->n_vocab);
  std::ofstream(dir / "tokenizer_config.json") << synth_tokenizer_config_json(shape->n_vocab);
  install_signal_cleanup();  // Ctrl-C / kill leaves no partial model.safetensors
  uint64_t last_report = 0;
  const Status s = models::write_synth_weights(
      (dir / "model.safetensors").string(), models::synth_tensors(*shape), [&](uint64_t written, uint64_t total) {
        if (written - last_report > (uint64_t{256} << 20) || written == total) {
          std::fprintf(stderr, "\rsynth: %.2f / %.2f GB", written / 1e9, total / 1e9);
          last_report = written;
        }
      });
  std::fputc('\n', stderr);
  if (!s) return fail("synth", s.message());
  std::fprintf(stderr, "synth: wrote %s (%s)\n", a.out.c_str(), shape->name);
  return 0;
}

const CommandRegistration kRegistration({
    "synth",
    "Write a Hugging Face folder with random bf16 weights of a benchmark shape",
    [](CLI::App& app) {
      auto a = std::make_shared<SynthArgs>();
      app.add_option("--shape", a->shape, models::synth_shape_names())->required();
      app.add_option("-o,--output", a->out, "Output folder")->required();
      return [a] { return run_synth(*a); };
    }});

}  // namespace
}  // namespace hearth::tools
