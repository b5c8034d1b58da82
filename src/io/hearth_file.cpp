#include "src/io/hearth_file.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>

#include "src/io/hearth_file_checksum.h"

namespace hearth {

bool HearthFile::looks_like_hearth(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  char magic[8] = {};
  const bool ok = std::fread(magic, 1, 8, f) == 8 && std::memcmp(magic, kHearthMagic, 8) == 0;
  std::fclose(f);
  return ok;
}

Result<std::unique_ptr<HearthFile>> HearthFile::open(const std::string& path) {
  const auto t0 = std::chrono::steady_clock::now();
  auto hf = std::unique_ptr<HearthFile>(new HearthFile());
  hf->path_ = path;
  auto mapped = MappedFile::open(path);
  if (!mapped) return mapped.status();
  hf->file_ = std::move(mapped.value());
  auto idx = parse_index(hf->file_.bytes(), hf->file_.size(), path);
  if (!idx) return idx.status();
  hf->index_ = std::move(idx.value());

  nlohmann::json meta = nlohmann::json::parse(hf->index_.metadata_text, nullptr, false);
  if (meta.is_discarded() || !meta.is_object())
    return Status::errorf("{}: the metadata block is not a JSON object (corrupt file)", path);
  // Known keys are read; unknown ones (added by newer minor versions) are ignored.
  if (!meta.contains("config") || !meta["config"].is_object())
    return Status::errorf("{}: metadata has no 'config' object (the architecture config.json); "
                          "convert the model again", path);
  hf->config_ = meta["config"];
  auto text = [&meta, &path](const char* key, std::string& dest) -> Status {
    if (!meta.contains(key)) return Status::ok();
    if (!meta[key].is_string())
      return Status::errorf("{}: metadata '{}' should be a string (the file's text)", path, key);
    dest = meta[key].get<std::string>();
    return Status::ok();
  };
  HEARTH_TRY(text("tokenizer_json", hf->tokenizer_json_));
  HEARTH_TRY(text("tokenizer_config_json", hf->tokenizer_config_json_));
  hf->generation_config_ = nlohmann::json::object();
  if (meta.contains("generation_config") && meta["generation_config"].is_object())
    hf->generation_config_ = meta["generation_config"];
  hf->metadata_ = std::move(meta);
  for (size_t i = 0; i < hf->index_.tensors.size(); ++i) hf->by_name_[hf->index_.tensors[i].name] = i;
  hf->load_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return hf;
}

Result<TensorView> HearthFile::tensor(const std::string& name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end())
    return Status::errorf("{}: tensor '{}' is missing (the file was converted from a different "
                          "model, or by a converter that dropped it)", path_, name);
  const HearthTensorEntry& e = index_.tensors[it->second];
  TensorView v;
  v.name = e.name;
  v.format = e.format;
  v.shape = e.shape;
  v.data = file_.data() + e.offset;
  v.nbytes = e.nbytes;
  return v;
}

std::vector<std::string> HearthFile::tensor_names() const {
  std::vector<std::string> names;
  for (const auto& e : index_.tensors) names.push_back(e.name);
  return names;
}

Status HearthFile::verify_checksums(const std::function<void(uint64_t, uint64_t)>& on_progress) const {
  uint64_t total = 0, done = 0;
  for (const auto& e : index_.tensors) total += e.nbytes;
  std::vector<std::string> bad;
  for (const auto& e : index_.tensors) {
    if (xxh64(file_.data() + e.offset, e.nbytes) != e.checksum) bad.push_back(e.name);
    done += e.nbytes;
    if (on_progress) on_progress(done, total);
  }
  if (bad.empty()) return Status::ok();
  std::string list;
  for (size_t i = 0; i < bad.size() && i < 5; ++i) list += (i ? ", " : "") + bad[i];
  return Status::errorf("{}: checksum mismatch in {} of {} tensors ({}{}): the file is corrupt; "
                        "copy or convert it again", path_, bad.size(), index_.tensors.size(), list,
                        bad.size() > 5 ? ", ..." : "");
}

}  // namespace hearth
