#include "src/io/hf_checkpoint.h"

#include <sys/stat.h>

#include <functional>
#include <set>

namespace hearth {
namespace {

std::string text_of(const MappedFile& f) {
  return std::string(reinterpret_cast<const char*>(f.data()), f.size());
}

Result<nlohmann::json> parse_json(const MappedFile& f, const std::string& name) {
  nlohmann::json j = nlohmann::json::parse(text_of(f), nullptr, false);
  if (j.is_discarded()) return Status::errorf("{}: malformed JSON (check the file is complete)", name);
  if (!j.is_object()) return Status::errorf("{}: expected a JSON object", name);
  return j;
}

}  // namespace

Result<std::unique_ptr<HfCheckpoint>> HfCheckpoint::open_dir(const std::string& dir) {
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0)
    return Status::errorf("'{}' does not exist (expected a .hearth file or a Hugging Face model folder)", dir);
  if (!S_ISDIR(st.st_mode))
    return Status::errorf("'{}' is not a directory (expected a Hugging Face model folder with config.json and *.safetensors)", dir);
  auto read = [dir](const std::string& name) -> Result<std::optional<MappedFile>> {
    const std::string path = dir + "/" + name;
    struct stat s {};
    if (stat(path.c_str(), &s) != 0) return std::optional<MappedFile>();
    auto f = MappedFile::open(path);
    if (!f) return f.status();
    return std::optional<MappedFile>(std::move(f.value()));
  };
  return open(read, dir);
}

Result<std::unique_ptr<HfCheckpoint>> HfCheckpoint::open_files(
    const std::map<std::string, std::span<const uint8_t>>& files, const std::string& label) {
  auto read = [&files, label](const std::string& name) -> Result<std::optional<MappedFile>> {
    auto it = files.find(name);
    if (it == files.end()) return std::optional<MappedFile>();
    return std::optional<MappedFile>(MappedFile::borrow(it->second, label + "/" + name));
  };
  return open(read, label);
}

Result<std::unique_ptr<HfCheckpoint>> HfCheckpoint::open(const FileReader& read,
                                                         const std::string& label) {
  auto ck = std::unique_ptr<HfCheckpoint>(new HfCheckpoint());
  ck->label_ = label;

  auto config_file = read("config.json");
  if (!config_file) return config_file.status();
  if (!config_file->has_value())
    return Status::errorf("{}: config.json is missing (expected a Hugging Face model folder)", label);
  auto config = parse_json(**config_file, label + "/config.json");
  if (!config) return config.status();
  ck->config_ = std::move(config.value());

  if (auto g = read("generation_config.json"); g && g->has_value()) {
    auto gj = parse_json(**g, label + "/generation_config.json");
    if (!gj) return gj.status();
    ck->generation_config_ = std::move(gj.value());
  }
  for (auto [name, dest] : {std::pair{"tokenizer.json", &ck->tokenizer_json_},
                            std::pair{"tokenizer_config.json", &ck->tokenizer_config_json_}}) {
    auto f = read(name);
    if (!f) return f.status();
    if (f->has_value()) *dest = text_of(**f);
  }

  // Shards: the index file names them; otherwise the single model.safetensors.
  std::vector<std::string> shard_names;
  auto index_file = read("model.safetensors.index.json");
  if (!index_file) return index_file.status();
  nlohmann::json weight_map;
  if (index_file->has_value()) {
    auto ij = parse_json(**index_file, label + "/model.safetensors.index.json");
    if (!ij) return ij.status();
    if (!ij->contains("weight_map") || !(*ij)["weight_map"].is_object())
      return Status::errorf("{}/model.safetensors.index.json: missing object 'weight_map'", label);
    weight_map = (*ij)["weight_map"];
    std::set<std::string> names;
    for (auto it = weight_map.begin(); it != weight_map.end(); ++it) {
      if (!it.value().is_string())
        return Status::errorf("{}/model.safetensors.index.json: weight_map['{}'] is not a file name", label, it.key());
      names.insert(it.value().get<std::string>());
    }
    shard_names.assign(names.begin(), names.end());
  } else {
    shard_names.push_back("model.safetensors");
  }
  for (const auto& name : shard_names) {
    if (name.find('/') != std::string::npos || name.find("..") != std::string::npos)
      return Status::errorf("{}: shard name '{}' must be a plain file name", label, name);
    auto f = read(name);
    if (!f) return f.status();
    if (!f->has_value())
      return Status::errorf("{}: {} is missing (expected the model weights in safetensors format)", label, name);
    ck->shards_.push_back(std::move(**f));
  }
  ck->indices_.reserve(ck->shards_.size());
  for (size_t i = 0; i < ck->shards_.size(); ++i) {
    auto idx = SafetensorsIndex::parse(ck->shards_[i].bytes(), label + "/" + shard_names[i]);
    if (!idx) return idx.status();
    ck->indices_.push_back(std::move(idx.value()));
  }
  for (size_t i = 0; i < ck->indices_.size(); ++i) {
    for (const auto& [name, entry] : ck->indices_[i].tensors()) {
      if (!weight_map.is_null()) {
        auto it = weight_map.find(name);
        if (it == weight_map.end() || it->get<std::string>() != shard_names[i])
          return Status::errorf("{}: tensor '{}' is in {} but the index maps it elsewhere", label,
                                name, shard_names[i]);
      }
      if (!ck->tensors_.emplace(name, &entry).second)
        return Status::errorf("{}: tensor '{}' appears in more than one shard", label, name);
    }
  }
  if (!weight_map.is_null())
    for (auto it = weight_map.begin(); it != weight_map.end(); ++it)
      if (!ck->tensors_.count(it.key()))
        return Status::errorf("{}: the index lists tensor '{}' but {} does not contain it", label,
                              it.key(), it.value().get<std::string>());
  return ck;
}

bool HfCheckpoint::has_tensor(const std::string& name) const { return tensors_.count(name) > 0; }

Result<TensorView> HfCheckpoint::tensor(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end())
    return Status::errorf("{}: tensor '{}' is missing from the checkpoint", label_, name);
  if (!it->second->supported)
    return Status::errorf("{}: tensor '{}' has dtype {}; supported: F32, F16, BF16", label_, name,
                          it->second->dtype);
  return it->second->view;
}

std::vector<std::string> HfCheckpoint::tensor_names() const {
  std::vector<std::string> names;
  for (const auto& [n, e] : tensors_) names.push_back(n);
  return names;
}

}  // namespace hearth
