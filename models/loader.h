// Opening a model by path: a Hugging Face folder, a .hearth file, or nothing for the bundled
// tiny model.
// Returns everything a front end needs: weights, the runnable model, tokenizer, template.
#pragma once

#include <memory>
#include <string>

#include "src/io/weight_source.h"
#include "src/model/load_options.h"
#include "src/model/model.h"
#include "src/tokenizer/chat_template.h"
#include "src/tokenizer/tokenizer.h"

namespace hearth::models {

// The name shown for the bundled model, and accepted as a path meaning "bundled".
inline constexpr const char* kBundledModelName = "bundled:tiny-qwen3-moe";

struct LoadedModel {
  std::shared_ptr<const WeightSource> weights;
  std::unique_ptr<Model> model;
  std::unique_ptr<Tokenizer> tokenizer;  // null when the source has no tokenizer.json
  double load_seconds = 0;
};

// path: a Hugging Face folder, a .hearth file, or "" / kBundledModelName for the bundled model.
Result<std::shared_ptr<const WeightSource>> open_weights(const std::string& path);

// Opens the weights and builds the model as the options say; with_tokenizer also loads the
// tokenizer (an error if the source has none).
Result<LoadedModel> load_model(const std::string& path, bool with_tokenizer, const LoadOptions& options = {});

}  // namespace hearth::models
