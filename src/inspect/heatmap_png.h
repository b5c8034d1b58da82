// Heatmaps as PNG images (libpng): one or more labelled panels of a matrix, cells coloured
// with a viridis-like colour map from 0 to the panel's maximum, masked cells (NaN: e.g. future
// keys of causal attention) light grey, row labels on the left, column labels written upwards
// above the grid, a title and a colour bar with its range. Text uses the built-in 5x7 font
// (ASCII; other characters draw as '?'). Used by `hearth attention` and `hearth profile`.
// Not here: interactive views (heatmap_html.h), choosing what to draw (attention_map.h).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "src/base/status.h"

namespace hearth {

struct Heatmap {
  std::string title;
  int64_t n_rows = 0, n_cols = 0;
  std::vector<float> values;            // [n_rows][n_cols]; NaN = masked cell
  std::vector<std::string> row_labels;  // [n_rows] (may be empty)
  std::vector<std::string> col_labels;  // [n_cols] (may be empty)
};

// Where everything goes; a function of the panels' sizes and label lengths only, so tests
// can predict the image size.
struct HeatmapLayout {
  int cell = 0;          // cell edge in pixels (same for all panels)
  int label_chars = 0;   // characters kept of each label
  int label_px = 0;      // width of the row-label area = height of the column-label area
  int label_stride = 1;  // every label_stride-th row/column is labelled (cells smaller than a line)
  int grid_cols = 1;     // panels per row of the image
  int panel_width = 0, panel_height = 0;  // the largest panel's box; every panel gets this box
  int width = 0, height = 0;
  // Top-left pixel of panel i's grid of cells.
  std::vector<std::array<int, 2>> grid_origin;
};

inline constexpr int kHeatmapMaxLabelChars = 12;

HeatmapLayout heatmap_layout(const std::vector<Heatmap>& panels);

// RGB of the colour map at t in [0, 1] (clamped).
std::array<uint8_t, 3> heatmap_color(float t);
inline constexpr std::array<uint8_t, 3> kMaskedColor = {224, 224, 224};

// The image as 8-bit RGB rows [height][width][3].
std::vector<uint8_t> render_heatmaps(const std::vector<Heatmap>& panels, const HeatmapLayout& layout);

// Writes the panels to a PNG file. Errors: no panels, an empty panel, size mismatch, a file
// that cannot be written (the message names it), a PNG larger than 16384 pixels a side.
Status write_heatmap_png(const std::string& path, const std::vector<Heatmap>& panels);

// ASCII rendering of a label for the bitmap font: each UTF-8 sequence outside ASCII becomes
// one '?', cut to max_chars (a trailing '~' marks a cut).
std::string ascii_label(const std::string& text, int max_chars);

}  // namespace hearth
