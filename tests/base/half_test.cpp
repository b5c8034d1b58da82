// fp16/bf16 conversions against values worked out by hand from IEEE 754.
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "src/base/half.h"

namespace hearth {
namespace {

TEST(Half, F16KnownEncodings) {
  EXPECT_EQ(f32_to_f16(1.0f), 0x3c00);
  EXPECT_EQ(f32_to_f16(-2.0f), 0xc000);
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16(1e6f), 0x7c00);                     // overflow to inf
  EXPECT_EQ(f32_to_f16(5.9604644775390625e-08f), 0x0001);  // smallest subnormal 2^-24
  EXPECT_EQ(f32_to_f16(6.103515625e-05f), 0x0400);         // smallest normal 2^-14
  EXPECT_EQ(f32_to_f16(1.0f + 1.0f / 2048), 0x3c00);       // tie rounds to even
  EXPECT_EQ(f32_to_f16(1.0f + 3.0f / 2048), 0x3c02);       // tie rounds to even (up)
  EXPECT_FLOAT_EQ(f16_to_f32(0x3555), 0.333251953125f);
  EXPECT_FLOAT_EQ(f16_to_f32(0x0001), 5.9604644775390625e-08f);
  EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(std::numeric_limits<float>::quiet_NaN()))));
}

TEST(Half, F16RoundTripsEveryFiniteValue) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7c00) == 0x7c00) continue;  // inf / NaN
    EXPECT_EQ(f32_to_f16(f16_to_f32(static_cast<uint16_t>(h))), h) << h;
  }
}

TEST(Half, Bf16) {
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  EXPECT_FLOAT_EQ(bf16_to_f32(0xc040), -3.0f);
  EXPECT_EQ(f32_to_bf16(1.0f + 1.0f / 256), 0x3f80);  // tie to even
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7f80) == 0x7f80) continue;
    EXPECT_EQ(f32_to_bf16(bf16_to_f32(static_cast<uint16_t>(h))), h);
  }
}

}  // namespace
}  // namespace hearth
