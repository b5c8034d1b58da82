// Unicode normalization (generated tables, no ICU) and UTF-8 helpers.
#include <gtest/gtest.h>

#include "src/tokenizer/unicode_normalize.h"
#include "src/base/utf8.h"

namespace hearth::tok {
namespace {

TEST(TokenizerUnicode, NfcComposes) {
  EXPECT_EQ(unicode_normalize("e\u0301", NormalForm::kNfc), "\u00e9");
  EXPECT_EQ(unicode_normalize("A\u030a", NormalForm::kNfc), "\u00c5");
  EXPECT_EQ(unicode_normalize("\u212b", NormalForm::kNfc), "\u00c5");  // Angstrom sign singleton
  EXPECT_EQ(unicode_normalize("\u1100\u1161\u11a8", NormalForm::kNfc), "\uac01");  // Hangul LVT
  EXPECT_EQ(unicode_normalize("plain ascii", NormalForm::kNfc), "plain ascii");
  EXPECT_EQ(unicode_normalize("\u0915\u093c", NormalForm::kNfc), "\u0915\u093c");  // excluded from composition
}

TEST(TokenizerUnicode, NfdDecomposesAndReorders) {
  EXPECT_EQ(unicode_normalize("\u00e9", NormalForm::kNfd), "e\u0301");
  EXPECT_EQ(unicode_normalize("\uac01", NormalForm::kNfd), "\u1100\u1161\u11a8");
  // dot below (ccc 220) sorts before acute (ccc 230)
  EXPECT_EQ(unicode_normalize("a\u0301\u0323", NormalForm::kNfd), "a\u0323\u0301");
  EXPECT_EQ(unicode_normalize("\u1e69", NormalForm::kNfd), "s\u0323\u0307");
}

TEST(TokenizerUnicode, CompatibilityForms) {
  EXPECT_EQ(unicode_normalize("\ufb01", NormalForm::kNfkc), "fi");
  EXPECT_EQ(unicode_normalize("\ufb01", NormalForm::kNfc), "\ufb01");
  EXPECT_EQ(unicode_normalize("\uff8a\uff9d", NormalForm::kNfkc), "\u30cf\u30f3");  // half-width katakana
  EXPECT_EQ(unicode_normalize("x\u00b2", NormalForm::kNfkd), "x2");
  EXPECT_EQ(unicode_normalize("\u1e9b\u0323", NormalForm::kNfkc), "\u1e69");
  EXPECT_EQ(unicode_normalize("\u1e9b\u0323", NormalForm::kNfkd), "s\u0323\u0307");
}

TEST(TokenizerUnicode, Utf8Lossy) {
  EXPECT_EQ(utf8_lossy("ok"), "ok");
  EXPECT_EQ(utf8_lossy("\xf0\x9f\x98"), "\ufffd");             // truncated 4-byte sequence
  EXPECT_EQ(utf8_lossy("a\xff" "b"), "a\ufffd" "b");
  EXPECT_EQ(utf8_lossy("\xe2\x82"), "\ufffd");
  EXPECT_EQ(utf8_lossy("\xed\xa0\x80"), "\ufffd\ufffd\ufffd");  // surrogate: each byte
  EXPECT_TRUE(utf8_valid("\u00e9\U0001F600"));
  EXPECT_FALSE(utf8_valid("\xc0\xaf"));
}

}  // namespace
}  // namespace hearth::tok
