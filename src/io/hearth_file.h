// Reading a .hearth file: mmap it, validate header, metadata and tensor table in full
// (hearth_file_format.h), then serve zero-copy TensorViews into the mapping. A WeightSource,
// so architecture files load a .hearth exactly like a Hugging Face folder: same tensor names,
// same logical shapes (a quantized tensor's format says how its rows are packed).
// Not here: writing (hearth_file_writer.h); per-tensor checksums are not recomputed at load
// (too slow for large files): verify_checksums() does that on request (`inspect --verify`).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "src/base/mapped_file.h"
#include "src/io/hearth_file_format.h"
#include "src/io/weight_source.h"

namespace hearth {

class HearthFile final : public WeightSource {
 public:
  static Result<std::unique_ptr<HearthFile>> open(const std::string& path);
  // True when the file starts with the .hearth magic (cheap; for dispatch by content).
  static bool looks_like_hearth(const std::string& path);

  const nlohmann::json& config() const override { return config_; }
  const std::string& tokenizer_json() const override { return tokenizer_json_; }
  const std::string& tokenizer_config_json() const override { return tokenizer_config_json_; }
  const nlohmann::json& generation_config() const override { return generation_config_; }
  std::string description() const override { return path_; }

  bool has_tensor(const std::string& name) const override { return by_name_.count(name) > 0; }
  Result<TensorView> tensor(const std::string& name) const override;
  std::vector<std::string> tensor_names() const override;
  void drop_resident(const TensorView& t) const override { file_.drop_resident(t.data, t.nbytes); }

  const HearthIndex& index() const { return index_; }
  const nlohmann::json& metadata() const { return metadata_; }
  uint64_t file_size() const { return file_.size(); }
  double load_seconds() const { return load_seconds_; }

  // Recomputes every tensor's XXH64; the error lists the first bad tensors.
  // on_progress(done_bytes, total_bytes) may be null.
  Status verify_checksums(const std::function<void(uint64_t, uint64_t)>& on_progress = {}) const;

 private:
  std::string path_;
  MappedFile file_;
  HearthIndex index_;
  nlohmann::json metadata_, config_, generation_config_;
  std::string tokenizer_json_, tokenizer_config_json_;
  std::map<std::string, size_t> by_name_;  // -> index_.tensors
  double load_seconds_ = 0;
};

}  // namespace hearth
