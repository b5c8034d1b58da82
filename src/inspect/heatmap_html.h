// Attention heatmaps as one self-contained interactive HTML page: the data (tokens, every
// captured layer's heads, rollout) is embedded as JSON, a small script draws the selected
// layer/head as a table of coloured cells (query tokens x key tokens), hovering a cell shows
// the token pair and its weight. No network resources: no CDN, fonts or images.
// After drawing, the script writes the number of cells into #cell-count (tests read it back
// through a headless browser).
// Not here: PNG output (heatmap_png.h), computing the probabilities (attention_map.h).
#pragma once

#include <string>

#include "src/inspect/attention_map.h"

namespace hearth {

// initial_layer: a layer number or "rollout" (falls back to the first captured layer);
// initial_head: a head number or "mean". title names the model and prompt in the page header.
std::string attention_html(const AttentionMaps& maps, const std::string& initial_layer,
                           const std::string& initial_head, const std::string& title);

}  // namespace hearth
