// Where a model's weights and metadata come from. Every weight access goes through here, so
// other containers (.hearth files, GGUF) and weight transforms (LoRA merges) plug in at one
// place. Implementations: HfCheckpoint (a Hugging Face folder) and HearthFile (a .hearth file).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "quant/tensor.h"
#include "src/base/status.h"

namespace hearth {

class WeightSource {
 public:
  virtual ~WeightSource() = default;

  virtual const nlohmann::json& config() const = 0;          // config.json
  virtual const std::string& tokenizer_json() const = 0;     // tokenizer.json ("" if absent)
  virtual const std::string& tokenizer_config_json() const = 0;  // "" if absent
  virtual const nlohmann::json& generation_config() const = 0;   // {} if absent
  virtual std::string description() const = 0;  // for messages: the path it came from

  virtual bool has_tensor(const std::string& name) const = 0;
  // The named tensor, or a clear error when it is missing or of an unusable dtype.
  virtual Result<TensorView> tensor(const std::string& name) const = 0;
  virtual std::vector<std::string> tensor_names() const = 0;

  // The caller copied t's bytes elsewhere (a repacked copy): resident pages of the original
  // may be given back. Advice only; t stays readable. Default: nothing to give back.
  virtual void drop_resident(const TensorView& /*t*/) const {}
};

}  // namespace hearth
