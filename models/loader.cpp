#include "models/loader.h"

#include <chrono>
#include <map>
#include <span>

#include "models/registry.h"
#include "src/io/hearth_file.h"
#include "src/io/hf_checkpoint.h"

#include <sys/stat.h>

extern "C" {
#define HEARTH_BUNDLED(name) extern const uint8_t hearth_bundled_##name##_begin[], hearth_bundled_##name##_end[];
HEARTH_BUNDLED(config)
HEARTH_BUNDLED(generation_config)
HEARTH_BUNDLED(tokenizer)
HEARTH_BUNDLED(tokenizer_config)
HEARTH_BUNDLED(weights)
#undef HEARTH_BUNDLED
}

namespace hearth::models {
namespace {

std::span<const uint8_t> span_of(const uint8_t* begin, const uint8_t* end) {
  return {begin, static_cast<size_t>(end - begin)};
}

Result<std::unique_ptr<HfCheckpoint>> open_bundled() {
  const std::map<std::string, std::span<const uint8_t>> files = {
      {"config.json", span_of(hearth_bundled_config_begin, hearth_bundled_config_end)},
      {"generation_config.json", span_of(hearth_bundled_generation_config_begin, hearth_bundled_generation_config_end)},
      {"tokenizer.json", span_of(hearth_bundled_tokenizer_begin, hearth_bundled_tokenizer_end)},
      {"tokenizer_config.json", span_of(hearth_bundled_tokenizer_config_begin, hearth_bundled_tokenizer_config_end)},
      {"model.safetensors", span_of(hearth_bundled_weights_begin, hearth_bundled_weights_end)},
  };
  return HfCheckpoint::open_files(files, kBundledModelName);
}

}  // namespace

Result<std::shared_ptr<const WeightSource>> open_weights(const std::string& path) {
  // A regular file is a .hearth file (one self-contained converted model); a folder is HF.
  struct stat st {};
  if (!path.empty() && path != kBundledModelName && stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    auto hf = HearthFile::open(path);
    if (!hf) return hf.status();
    return std::shared_ptr<const WeightSource>(std::move(hf.value()));
  }
  Result<std::unique_ptr<HfCheckpoint>> ck =
      (path.empty() || path == kBundledModelName) ? open_bundled() : HfCheckpoint::open_dir(path);
  if (!ck) return ck.status();
  return std::shared_ptr<const WeightSource>(std::move(ck.value()));
}

Result<LoadedModel> load_model(const std::string& path, bool with_tokenizer, const LoadOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  LoadedModel out;
  auto weights = open_weights(path);
  if (!weights) return weights.status();
  out.weights = weights.value();
  auto model = build_model(out.weights, options);
  if (!model) return model.status();
  out.model = std::move(model.value());
  if (with_tokenizer) {
    if (out.weights->tokenizer_json().empty())
      return Status::errorf("{}: tokenizer.json is missing (needed to turn text into tokens)",
                            out.weights->description());
    auto tok = Tokenizer::from_files({out.weights->tokenizer_json(), out.weights->tokenizer_config_json()});
    if (!tok) return tok.status().with_context(out.weights->description() + "/tokenizer.json");
    out.tokenizer = std::make_unique<Tokenizer>(std::move(tok.value()));
  }
  out.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace hearth::models
