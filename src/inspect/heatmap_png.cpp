// PNG heatmap rendering (see heatmap_png.h). libpng with its setjmp error path; a failed
// write removes the partial file.
#include "src/inspect/heatmap_png.h"

#include <png.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>

#include "src/base/size.h"
#include "src/inspect/bitmap_font_5x7.h"

namespace hearth {
namespace {

constexpr int kMargin = 6;
constexpr int kTitleHeight = font5x7::kLineHeight + 4;
constexpr int kBarGap = 4, kBarHeight = 6, kBarTextHeight = font5x7::kLineHeight + 2;
constexpr int kMinBarWidth = 96;
constexpr int kTargetGridPx = 768;
constexpr int kMaxImageSide = 16384;

// Viridis (matplotlib), sampled at 0, 1/8, ..., 1 and interpolated linearly.
constexpr uint8_t kViridis[9][3] = {{68, 1, 84},    {71, 44, 122},  {59, 81, 139},  {44, 113, 142}, {33, 144, 141},
                                    {39, 173, 129}, {92, 200, 99},  {170, 220, 50}, {253, 231, 37}};

struct Canvas {
  int width, height;
  std::vector<uint8_t> rgb;
  void set(int x, int y, std::array<uint8_t, 3> c) {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    std::copy(c.begin(), c.end(), rgb.begin() + (to_size(y) * width + x) * 3);
  }
  void fill(int x, int y, int w, int h, std::array<uint8_t, 3> c) {
    for (int j = 0; j < h; ++j)
      for (int i = 0; i < w; ++i) set(x + i, y + j, c);
  }
  // Horizontal text with its top-left at (x, y); upward text (read bottom to top) starts at
  // bottom-left (x, y).
  void text(int x, int y, const std::string& s, bool upward) {
    constexpr std::array<uint8_t, 3> kInk = {0, 0, 0};
    for (size_t i = 0; i < s.size(); ++i)
      for (int c = 0; c < font5x7::kGlyphWidth; ++c) {
        const uint8_t bits = font5x7::glyph_column(s[i], c);
        for (int r = 0; r < font5x7::kGlyphHeight; ++r) {
          if (!(bits & (1u << r))) continue;
          const int along = static_cast<int>(i) * font5x7::kAdvance + c;
          if (upward) set(x + r, y - along, kInk);
          else set(x + along, y + r, kInk);
        }
      }
  }
};

std::string format_value(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", static_cast<double>(v));
  return buf;
}

struct PngFile {
  FILE* f = nullptr;
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~PngFile() {
    if (png) png_destroy_write_struct(&png, info ? &info : nullptr);
    if (f) std::fclose(f);
  }
};

}  // namespace

std::string ascii_label(const std::string& text, int max_chars) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
    } else if ((c & 0xC0) != 0x80) {
      out += '?';  // lead byte of a multi-byte sequence; continuation bytes are skipped
    }
  }
  if (max_chars > 0 && static_cast<int>(out.size()) > max_chars) {
    out.resize(to_size(max_chars - 1));
    out += '~';
  }
  return out;
}

std::array<uint8_t, 3> heatmap_color(float t) {
  if (!(t >= 0)) t = 0;  // NaN too
  if (t > 1) t = 1;
  const float x = t * 8.0f;
  const int i = std::min(7, static_cast<int>(x));
  const float f = x - static_cast<float>(i);
  std::array<uint8_t, 3> c{};
  for (int k = 0; k < 3; ++k)
    c[to_size(k)] = static_cast<uint8_t>(
        std::lround(kViridis[i][k] + f * (static_cast<float>(kViridis[i + 1][k]) - kViridis[i][k])));
  return c;
}

HeatmapLayout heatmap_layout(const std::vector<Heatmap>& panels) {
  HeatmapLayout L;
  int64_t max_rows = 1, max_cols = 1;
  size_t title_chars = 0, label_chars = 0;
  for (const auto& p : panels) {
    max_rows = std::max(max_rows, p.n_rows);
    max_cols = std::max(max_cols, p.n_cols);
    title_chars = std::max(title_chars, ascii_label(p.title, 0).size());
    for (const auto& s : p.row_labels) label_chars = std::max(label_chars, ascii_label(s, kHeatmapMaxLabelChars).size());
    for (const auto& s : p.col_labels) label_chars = std::max(label_chars, ascii_label(s, kHeatmapMaxLabelChars).size());
  }
  const int64_t side = std::max(max_rows, max_cols);
  L.cell = static_cast<int>(std::clamp<int64_t>(kTargetGridPx / side, 2, 24));
  L.label_chars = static_cast<int>(label_chars);
  L.label_px = label_chars ? L.label_chars * font5x7::kAdvance + 4 : 0;
  L.label_stride = L.cell >= font5x7::kLineHeight ? 1 : (font5x7::kLineHeight + L.cell - 1) / L.cell;
  const int grid_w = static_cast<int>(max_cols) * L.cell, grid_h = static_cast<int>(max_rows) * L.cell;
  L.panel_width = 2 * kMargin + std::max({L.label_px + std::max(grid_w, kMinBarWidth),
                                          static_cast<int>(title_chars) * font5x7::kAdvance});
  L.panel_height = 2 * kMargin + kTitleHeight + L.label_px + grid_h + kBarGap + kBarHeight + kBarTextHeight;
  const int n = static_cast<int>(panels.size());
  L.grid_cols = n <= 1 ? 1 : static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
  const int grid_rows = n <= 1 ? 1 : (n + L.grid_cols - 1) / L.grid_cols;
  L.width = L.grid_cols * L.panel_width;
  L.height = grid_rows * L.panel_height;
  for (int i = 0; i < n; ++i)
    L.grid_origin.push_back({(i % L.grid_cols) * L.panel_width + kMargin + L.label_px,
                             (i / L.grid_cols) * L.panel_height + kMargin + kTitleHeight + L.label_px});
  return L;
}

std::vector<uint8_t> render_heatmaps(const std::vector<Heatmap>& panels, const HeatmapLayout& L) {
  Canvas cv{L.width, L.height, std::vector<uint8_t>(to_size(L.width) * L.height * 3, 255)};
  for (size_t i = 0; i < panels.size(); ++i) {
    const Heatmap& p = panels[i];
    const int gx = L.grid_origin[i][0], gy = L.grid_origin[i][1];
    cv.text(gx - L.label_px, gy - L.label_px - kTitleHeight + 2, ascii_label(p.title, 0), false);
    float vmax = 0;
    for (float v : p.values)
      if (v == v) vmax = std::max(vmax, v);
    const float scale = vmax > 0 ? 1.0f / vmax : 0.0f;
    for (int64_t r = 0; r < p.n_rows; ++r)
      for (int64_t c = 0; c < p.n_cols; ++c) {
        const float v = p.values[to_size(r * p.n_cols + c)];
        cv.fill(gx + static_cast<int>(c) * L.cell, gy + static_cast<int>(r) * L.cell, L.cell, L.cell,
                v == v ? heatmap_color(v * scale) : kMaskedColor);
      }
    const int text_off = (L.cell - font5x7::kGlyphHeight) / 2;
    for (int64_t r = 0; r < static_cast<int64_t>(p.row_labels.size()) && r < p.n_rows; r += L.label_stride) {
      const std::string s = ascii_label(p.row_labels[to_size(r)], L.label_chars);
      const int w = static_cast<int>(s.size()) * font5x7::kAdvance;
      cv.text(gx - 2 - w, gy + static_cast<int>(r) * L.cell + std::max(0, text_off), s, false);
    }
    for (int64_t c = 0; c < static_cast<int64_t>(p.col_labels.size()) && c < p.n_cols; c += L.label_stride) {
      const std::string s = ascii_label(p.col_labels[to_size(c)], L.label_chars);
      cv.text(gx + static_cast<int>(c) * L.cell + std::max(0, text_off), gy - 3, s, true);
    }
    // Colour bar from 0 to the panel's maximum.
    const int bar_y = gy + static_cast<int>(p.n_rows) * L.cell + kBarGap;
    const int bar_w = std::max(static_cast<int>(p.n_cols) * L.cell, kMinBarWidth);
    for (int x = 0; x < bar_w; ++x)
      cv.fill(gx + x, bar_y, 1, kBarHeight, heatmap_color(static_cast<float>(x) / static_cast<float>(bar_w - 1)));
    cv.text(gx, bar_y + kBarHeight + 2, "0 .. " + format_value(vmax), false);
  }
  return std::move(cv.rgb);
}

Status write_heatmap_png(const std::string& path, const std::vector<Heatmap>& panels) {
  if (panels.empty()) return Status::error("nothing to draw: no heatmap panels");
  for (const auto& p : panels) {
    if (p.n_rows <= 0 || p.n_cols <= 0) return Status::errorf("heatmap '{}' is empty", p.title);
    if (static_cast<int64_t>(p.values.size()) != p.n_rows * p.n_cols)
      return Status::errorf("heatmap '{}' has {} values for {}x{} cells", p.title, p.values.size(), p.n_rows, p.n_cols);
  }
  const HeatmapLayout L = heatmap_layout(panels);
  if (L.width > kMaxImageSide || L.height > kMaxImageSide)
    return Status::errorf("the PNG would be {}x{} pixels (limit {} a side): select fewer layers/heads or a "
                          "shorter prompt, or write .html", L.width, L.height, kMaxImageSide);
  const std::vector<uint8_t> rgb = render_heatmaps(panels, L);

  PngFile out;
  out.f = std::fopen(path.c_str(), "wb");
  if (!out.f) return Status::errorf("cannot write {}: {}", path, std::strerror(errno));
  out.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (out.png) out.info = png_create_info_struct(out.png);
  if (!out.png || !out.info) return Status::error("libpng could not be initialised");
  if (setjmp(png_jmpbuf(out.png))) {
    std::fclose(out.f);
    out.f = nullptr;
    std::remove(path.c_str());
    return Status::errorf("writing {} failed (libpng error; disk full?)", path);
  }
  png_init_io(out.png, out.f);
  png_set_IHDR(out.png, out.info, static_cast<png_uint_32>(L.width), static_cast<png_uint_32>(L.height), 8,
               PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(out.png, out.info);
  for (int y = 0; y < L.height; ++y)
    png_write_row(out.png, const_cast<png_bytep>(rgb.data() + to_size(y) * L.width * 3));
  png_write_end(out.png, nullptr);
  if (std::fflush(out.f) != 0 || std::ferror(out.f)) {
    std::fclose(out.f);
    out.f = nullptr;
    std::remove(path.c_str());
    return Status::errorf("writing {} failed: {}", path, std::strerror(errno));
  }
  return Status::ok();
}

}  // namespace hearth
