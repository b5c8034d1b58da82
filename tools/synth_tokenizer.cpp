// See synth_tokenizer.h.
#include "tools/synth_tokenizer.h"

#include <vector>

#include <nlohmann/json.hpp>

namespace hearth::tools {
namespace {

using nlohmann::json;

std::string utf8(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

// GPT-2 bytes_to_unicode: printable bytes map to themselves, the rest to 256 + n.
std::vector<std::string> byte_symbols() {
  std::vector<std::string> sym(256);
  uint32_t next = 256;
  for (uint32_t b = 0; b < 256; ++b) {
    const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
    sym[b] = utf8(printable ? b : next++);
  }
  return sym;
}

const char* kSpecials[3] = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};

json special_entry(int64_t id, const char* content) {
  return {{"id", id}, {"content", content}, {"single_word", false}, {"lstrip", false},
          {"rstrip", false}, {"normalized", false}, {"special", true}};
}

}  // namespace

std::string synth_tokenizer_json(int64_t vocab_size) {
  const std::vector<std::string> sym = byte_symbols();
  const int64_t n_base = vocab_size - 3;
  json vocab = json::object();
  json merges = json::array();
  std::vector<std::string> tokens;
  for (int b = 0; b < 256 && static_cast<int64_t>(tokens.size()) < n_base; ++b) tokens.push_back(sym[b]);
  // Byte order puts ASCII text pairs early enough; pairs first, then pair + byte.
  for (int a = 0; a < 256 && static_cast<int64_t>(tokens.size()) < n_base; ++a)
    for (int b = 0; b < 256 && static_cast<int64_t>(tokens.size()) < n_base; ++b) {
      merges.push_back(sym[a] + " " + sym[b]);
      tokens.push_back(sym[a] + sym[b]);
    }
  for (int a = 0; a < 256 && static_cast<int64_t>(tokens.size()) < n_base; ++a)
    for (int b = 0; b < 256 && static_cast<int64_t>(tokens.size()) < n_base; ++b)
      for (int c = 0; c < 256 && static_cast<int64_t>(tokens.size()) < n_base; ++c) {
        merges.push_back(sym[a] + sym[b] + " " + sym[c]);
        tokens.push_back(sym[a] + sym[b] + sym[c]);
      }
  for (size_t i = 0; i < tokens.size(); ++i) vocab[tokens[i]] = static_cast<int64_t>(i);
  json added = json::array();
  for (int k = 0; k < 3; ++k) added.push_back(special_entry(n_base + k, kSpecials[k]));
  const json byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false},
                           {"use_regex", false}};
  const json split = {
      {"type", "Split"},
      {"pattern", {{"Regex", "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
                             "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}}},
      {"behavior", "Isolated"}, {"invert", false}};
  const json tok = {
      {"version", "1.0"}, {"truncation", nullptr}, {"padding", nullptr}, {"added_tokens", added},
      {"normalizer", {{"type", "NFC"}}},
      {"pre_tokenizer", {{"type", "Sequence"}, {"pretokenizers", {split, byte_level}}}},
      {"post_processor", byte_level}, {"decoder", byte_level},
      {"model", {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr},
                 {"continuing_subword_prefix", ""}, {"end_of_word_suffix", ""}, {"fuse_unk", false},
                 {"byte_fallback", false}, {"ignore_merges", false}, {"vocab", vocab}, {"merges", merges}}}};
  return tok.dump();
}

std::string synth_tokenizer_config_json(int64_t vocab_size) {
  json decoder = json::object();
  for (int k = 0; k < 3; ++k) {
    json e = special_entry(vocab_size - 3 + k, kSpecials[k]);
    e.erase("id");
    decoder[std::to_string(vocab_size - 3 + k)] = e;
  }
  const json cfg = {{"add_bos_token", false}, {"add_prefix_space", false}, {"added_tokens_decoder", decoder},
                    {"bos_token", nullptr}, {"eos_token", "<|im_end|>"}, {"pad_token", "<|endoftext|>"},
                    {"model_max_length", 40960}, {"tokenizer_class", "Qwen2Tokenizer"}, {"unk_token", nullptr}};
  return cfg.dump(2);
}

}  // namespace hearth::tools
