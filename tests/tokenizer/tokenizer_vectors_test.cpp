// Golden tests: every line of vectors.jsonl (encode) and decode.jsonl (decode, incl.
// text_clean_up) of the five tokenizer families must match exactly.
#include <gtest/gtest.h>

#include "src/tokenizer/decoder.h"
#include "tests/common/tokenizer_test_util.h"

namespace hearth {
namespace {

using json = nlohmann::json;

class TokenizerVectors : public ::testing::TestWithParam<std::string> {};

TEST_P(TokenizerVectors, Encode) {
  const Tokenizer& t = test::cached_tokenizer(GetParam());
  const auto lines = test::read_jsonl(test::tokenizer_dir(GetParam()) + "/vectors.jsonl");
  ASSERT_FALSE(lines.empty());
  int failures = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& l = lines[i];
    const auto got = t.encode(l["text"].get<std::string>(), l["add_special_tokens"].get<bool>());
    const auto want = l["ids"].get<std::vector<int32_t>>();
    if (got != want && failures++ < 10) {
      ADD_FAILURE() << GetParam() << " vectors.jsonl line " << i + 1 << " text=" << l["text"].dump()
                    << " add_special=" << l["add_special_tokens"] << "\n  want " << json(want).dump()
                    << "\n  got  " << json(got).dump();
    }
  }
  EXPECT_EQ(failures, 0);
}

TEST_P(TokenizerVectors, Decode) {
  const Tokenizer& t = test::cached_tokenizer(GetParam());
  const auto lines = test::read_jsonl(test::tokenizer_dir(GetParam()) + "/decode.jsonl");
  ASSERT_FALSE(lines.empty());
  int failures = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& l = lines[i];
    const auto ids = l["ids"].get<std::vector<int32_t>>();
    const std::string got = t.decode(ids, l.value("skip_special_tokens", false));
    const std::string want = l["text"].get<std::string>();
    if (got != want && failures++ < 10) {
      ADD_FAILURE() << GetParam() << " decode.jsonl line " << i + 1 << " ids=" << json(ids).dump()
                    << "\n  want " << json(want).dump() << "\n  got  " << json(got).dump();
    }
    if (l.contains("text_clean_up")) {
      const std::string cleaned = tok::clean_up_tokenization(got);
      if (cleaned != l["text_clean_up"].get<std::string>() && failures++ < 10) {
        ADD_FAILURE() << GetParam() << " decode.jsonl line " << i + 1 << " clean-up: want "
                      << l["text_clean_up"].dump() << " got " << json(cleaned).dump();
      }
    }
  }
  EXPECT_EQ(failures, 0);
}

INSTANTIATE_TEST_SUITE_P(Families, TokenizerVectors, ::testing::ValuesIn(test::kTokenizerFamilies),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace hearth
