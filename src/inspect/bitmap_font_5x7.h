// A 5x7 bitmap font of printable ASCII (0x20..0x7e) for labels in PNG heatmaps, so images need
// no font library. Glyphs are the classic HD44780-style 5x7 shapes, drawn in a 6x8 cell.
// Not here: anything beyond ASCII (other bytes draw as '?'), scaling, anti-aliasing.
#pragma once

#include <cstdint>

namespace hearth::font5x7 {

inline constexpr int kGlyphWidth = 5;
inline constexpr int kGlyphHeight = 7;
inline constexpr int kAdvance = 6;     // pixels per character, including spacing
inline constexpr int kLineHeight = 8;

// Column c (0..4) of character ch: bit r (0 = top row .. 6) set where the pixel is on.
uint8_t glyph_column(char ch, int c);

}  // namespace hearth::font5x7
