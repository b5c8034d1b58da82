// A Hugging Face checkpoint folder as published: config.json, model.safetensors or sharded
// model-0000x-of-0000y.safetensors with model.safetensors.index.json, tokenizer.json,
// tokenizer_config.json, optional generation_config.json. Files are mmapped; tensors are
// zero-copy views. Also serves the same set of files embedded in the binary.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "src/base/mapped_file.h"
#include "src/io/safetensors.h"
#include "src/io/weight_source.h"

namespace hearth {

class HfCheckpoint final : public WeightSource {
 public:
  static Result<std::unique_ptr<HfCheckpoint>> open_dir(const std::string& dir);

  // The same layout from in-memory files (name -> bytes), e.g. resources linked into the
  // binary. Bytes must outlive the checkpoint.
  static Result<std::unique_ptr<HfCheckpoint>> open_files(
      const std::map<std::string, std::span<const uint8_t>>& files, const std::string& label);

  const nlohmann::json& config() const override { return config_; }
  const std::string& tokenizer_json() const override { return tokenizer_json_; }
  const std::string& tokenizer_config_json() const override { return tokenizer_config_json_; }
  const nlohmann::json& generation_config() const override { return generation_config_; }
  std::string description() const override { return label_; }

  bool has_tensor(const std::string& name) const override;
  Result<TensorView> tensor(const std::string& name) const override;
  std::vector<std::string> tensor_names() const override;

 private:
  // Reads a file of the checkpoint; returns an empty optional when it does not exist.
  using FileReader = std::function<Result<std::optional<MappedFile>>(const std::string&)>;
  static Result<std::unique_ptr<HfCheckpoint>> open(const FileReader& read, const std::string& label);

  std::string label_;
  nlohmann::json config_;
  nlohmann::json generation_config_ = nlohmann::json::object();
  std::string tokenizer_json_;
  std::string tokenizer_config_json_;
  std::vector<MappedFile> shards_;
  std::vector<SafetensorsIndex> indices_;
  std::map<std::string, const SafetensorsEntry*> tensors_;  // name -> entry in one of indices_
};

}  // namespace hearth
