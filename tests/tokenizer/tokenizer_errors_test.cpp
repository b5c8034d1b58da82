// Malformed or unsupported tokenizer files must give clear errors naming the problem
// (never a crash or an exception escaping the library).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "src/tokenizer/tokenizer.h"

namespace hearth {
namespace {

using json = nlohmann::json;

json minimal() {
  return json::parse(R"({
    "added_tokens": [{"id": 3, "content": "<s>", "special": true, "lstrip": false, "rstrip": false,
                      "normalized": false, "single_word": false}],
    "normalizer": null, "pre_tokenizer": null, "post_processor": null, "decoder": null,
    "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}})");
}

std::string load_error(const json& j) {
  auto t = Tokenizer::from_files({j.dump(), ""});
  return t ? std::string("<loaded>") : t.message();
}

TEST(TokenizerErrors, MinimalFileLoadsAndEncodes) {
  auto t = Tokenizer::from_files({minimal().dump(), ""});
  ASSERT_TRUE(t) << t.message();
  EXPECT_EQ(t->encode("abab<s>a", false), (std::vector<int32_t>{2, 2, 3, 0}));
  EXPECT_EQ(t->vocab_size(), 4);
  EXPECT_TRUE(t->is_special(3));
  EXPECT_EQ(t->decode(std::vector<int32_t>{2, 3, 0}, true), "ab a");  // no decoder: joined by spaces
}

TEST(TokenizerErrors, BadJson) {
  auto t = Tokenizer::from_files({"{\"model\": ", ""});
  ASSERT_FALSE(t);
  EXPECT_NE(t.message().find("not a valid JSON"), std::string::npos) << t.message();
}

TEST(TokenizerErrors, MissingModel) {
  json j = minimal();
  j.erase("model");
  EXPECT_NE(load_error(j).find("no \"model\""), std::string::npos) << load_error(j);
}

TEST(TokenizerErrors, UnknownModelType) {
  json j = minimal();
  j["model"]["type"] = "Unigram";
  EXPECT_NE(load_error(j).find("unsupported tokenizer model type 'Unigram'"), std::string::npos) << load_error(j);
}

TEST(TokenizerErrors, UnknownNormalizer) {
  json j = minimal();
  j["normalizer"] = {{"type", "Sequence"}, {"normalizers", {{{"type", "Precompiled"}}}}};
  EXPECT_NE(load_error(j).find("unsupported normalizer type 'Precompiled'"), std::string::npos) << load_error(j);
}

TEST(TokenizerErrors, UnknownPreTokenizer) {
  json j = minimal();
  j["pre_tokenizer"] = {{"type", "UnicodeScripts"}};
  EXPECT_NE(load_error(j).find("unsupported pre-tokenizer type 'UnicodeScripts'"), std::string::npos) << load_error(j);
}

TEST(TokenizerErrors, UnknownDecoder) {
  json j = minimal();
  j["decoder"] = {{"type", "CTC"}};
  EXPECT_NE(load_error(j).find("unsupported decoder type 'CTC'"), std::string::npos) << load_error(j);
}

TEST(TokenizerErrors, UnknownPostProcessor) {
  json j = minimal();
  j["post_processor"] = {{"type", "Fancy"}};
  EXPECT_NE(load_error(j).find("unsupported post-processor type 'Fancy'"), std::string::npos) << load_error(j);
}

TEST(TokenizerErrors, BadRegex) {
  json j = minimal();
  j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
  EXPECT_NE(load_error(j).find("cannot compile regex"), std::string::npos) << load_error(j);
}

TEST(TokenizerErrors, UnknownSplitBehavior) {
  json j = minimal();
  j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"String", " "}}}, {"behavior", "Sideways"}};
  EXPECT_NE(load_error(j).find("unsupported split behavior 'Sideways'"), std::string::npos) << load_error(j);
}

TEST(TokenizerErrors, MergeWithUnknownToken) {
  json j = minimal();
  j["model"]["merges"] = {"a c"};
  EXPECT_NE(load_error(j).find("missing from the vocabulary"), std::string::npos) << load_error(j);
}

TEST(TokenizerErrors, WrongFieldTypes) {
  json j = minimal();
  j["model"]["vocab"] = json::array({"a", "b"});
  EXPECT_NE(load_error(j).find("vocab"), std::string::npos) << load_error(j);
  json k = minimal();
  k["added_tokens"][0]["id"] = "three";
  EXPECT_NE(load_error(k).find("unexpected structure"), std::string::npos) << load_error(k);
}

TEST(TokenizerErrors, MissingFolder) {
  auto t = Tokenizer::from_dir("/nonexistent/tokenizer/folder");
  ASSERT_FALSE(t);
  EXPECT_NE(t.message().find("tokenizer.json"), std::string::npos) << t.message();
}

}  // namespace
}  // namespace hearth
