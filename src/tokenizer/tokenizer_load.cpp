// Builds a Tokenizer from tokenizer.json + tokenizer_config.json: checks every component
// type up front (unsupported ones are named in the error) and applies transformers'
// add_bos_token/add_eos_token rule for Llama/Gemma tokenizer classes.
// Not here: encoding/decoding (tokenizer.cpp). File reading is only in from_dir, so
// other containers (a .hearth file) only need to fill TokenizerFiles.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "src/tokenizer/tokenizer_impl.h"

namespace hearth {

using json = nlohmann::json;

namespace {

// A special token in tokenizer_config: "text", {"content": "text", ...} or null.
std::string config_token(const json& config, const char* key) {
  auto it = config.find(key);
  if (it == config.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) {
    return (*it)["content"].get<std::string>();
  }
  return "";
}

Status load(const TokenizerFiles& files, Tokenizer::Impl& t) {
  json tj = json::parse(files.tokenizer_json, nullptr, false);
  if (tj.is_discarded() || !tj.is_object()) {
    return Status::error("tokenizer.json is not a valid JSON object; expected a Hugging Face "
                         "tokenizers file (re-download or re-export it)");
  }
  json config = json::object();
  if (!files.tokenizer_config_json.empty()) {
    config = json::parse(files.tokenizer_config_json, nullptr, false);
    if (config.is_discarded() || !config.is_object()) {
      return Status::error("tokenizer_config.json is not a valid JSON object");
    }
  }
  t.config_json = files.tokenizer_config_json;

  if (!tj.contains("model") || !tj["model"].is_object()) {
    return Status::error("tokenizer.json has no \"model\" object; expected {\"model\": {\"type\": "
                         "\"BPE\", \"vocab\": ..., \"merges\": ...}}");
  }
  const json& model = tj["model"];
  const std::string model_type = model.value("type", model.contains("merges") ? "BPE" : "");
  if (model_type != "BPE") {
    return Status::errorf("unsupported tokenizer model type '{}': only BPE is supported "
                          "(byte-level BPE and SentencePiece-style BPE with byte_fallback)",
                          model_type.empty() ? "<missing>" : model_type);
  }
  if (!model.contains("vocab") || !model.contains("merges")) {
    return Status::error("BPE model in tokenizer.json lacks \"vocab\" or \"merges\"");
  }
  auto bpe = tok::BpeModel::from_json(model);
  if (!bpe) return bpe.status();
  t.model = std::move(bpe.value());

  auto normalizer = tok::make_normalizer(tj.value("normalizer", json()));
  if (!normalizer) return normalizer.status().with_context("normalizer");
  t.normalizer = std::move(normalizer.value());
  auto pre = tok::make_pre_tokenizer(tj.value("pre_tokenizer", json()));
  if (!pre) return pre.status().with_context("pre_tokenizer");
  t.pre_tokenizer = std::move(pre.value());
  auto post = tok::PostProcessor::from_json(tj.value("post_processor", json()));
  if (!post) return post.status().with_context("post_processor");
  t.post_processor = std::move(post.value());
  auto decoder = tok::make_decoder(tj.value("decoder", json()));
  if (!decoder) return decoder.status().with_context("decoder");
  t.decoder = std::move(decoder.value());

  auto added = tok::parse_added_tokens(tj.value("added_tokens", json()));
  if (!added) return added.status();
  t.added = std::move(added.value());
  std::vector<tok::AddedToken> raw, normalized;
  std::vector<std::string> raw_patterns, normalized_patterns;
  t.vocab_size = t.model.max_id() + 1;
  for (size_t k = 0; k < t.added.size(); ++k) {
    const auto& a = t.added[k];
    if (a.id < 0) return Status::errorf("added token '{}' has a negative id", a.content);
    t.added_by_id.emplace(a.id, k);
    t.added_by_content.emplace(a.content, a.id);
    t.vocab_size = std::max(t.vocab_size, a.id + 1);
    if (a.normalized) {
      std::string p = a.content;
      if (t.normalizer) t.normalizer->normalize(p);
      normalized.push_back(a);
      normalized_patterns.push_back(std::move(p));
    } else {
      raw.push_back(a);
      raw_patterns.push_back(a.content);
    }
  }
  t.raw_matcher.build(raw, raw_patterns);
  t.normalized_matcher.build(normalized, normalized_patterns);

  auto find_id = [&](const std::string& token) -> std::optional<int32_t> {
    if (token.empty()) return std::nullopt;
    if (auto it = t.added_by_content.find(token); it != t.added_by_content.end()) return it->second;
    return t.model.token_to_id(token);
  };
  t.bos_token = config_token(config, "bos_token");
  t.eos_token = config_token(config, "eos_token");
  t.bos_id = find_id(t.bos_token);
  t.eos_id = find_id(t.eos_token);

  // transformers (4.x) LlamaTokenizerFast / GemmaTokenizerFast rebuild the post-processor
  // from add_bos_token / add_eos_token (update_post_processor), whatever tokenizer.json says.
  std::string cls = config.value("tokenizer_class", "");
  if (cls.size() > 4 && cls.compare(cls.size() - 4, 4, "Fast") == 0) cls.resize(cls.size() - 4);
  if (cls == "LlamaTokenizer" || cls == "CodeLlamaTokenizer" || cls == "GemmaTokenizer") {
    std::vector<int32_t> bos, eos;
    if (config.value("add_bos_token", true) && t.bos_id) bos.push_back(*t.bos_id);
    if (config.value("add_eos_token", false) && t.eos_id) eos.push_back(*t.eos_id);
    t.post_processor = tok::PostProcessor::bos_eos(std::move(bos), std::move(eos));
  }
  return Status::ok();
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::errorf("cannot open {}", path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Result<Tokenizer> Tokenizer::from_files(const TokenizerFiles& files) {
  Tokenizer tk;
  tk.impl_ = std::make_unique<Impl>();
  Status st;
  try {
    st = load(files, *tk.impl_);
  } catch (const json::exception& e) {
    st = Status::errorf("tokenizer.json has an unexpected structure ({}); expected the Hugging Face "
                        "tokenizers format", e.what());
  }
  if (!st) return st;
  return tk;
}

Result<TokenizerFiles> read_tokenizer_files(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    return Status::errorf("expected a folder with tokenizer.json at '{}' ({}); pass the folder of a "
                          "Hugging Face model", path, std::filesystem::exists(path, ec) ? "it is not a folder" : "not found");
  }
  TokenizerFiles files;
  auto tj = read_file(path + "/tokenizer.json");
  if (!tj) {
    return Status::errorf("expected a tokenizer.json in '{}' ({}); pass the folder of a Hugging Face model",
                          path, tj.message());
  }
  files.tokenizer_json = std::move(tj.value());
  if (auto cfg = read_file(path + "/tokenizer_config.json")) files.tokenizer_config_json = std::move(cfg.value());
  return files;
}

Result<Tokenizer> Tokenizer::from_dir(const std::string& dir) {
  auto files = read_tokenizer_files(dir);
  if (!files) return files.status();
  auto t = from_files(files.value());
  if (!t) return t.status().with_context(dir + "/tokenizer.json");
  return t;
}

}  // namespace hearth
