// A labelled attention heatmap as a PNG (stb_image_write from Debian's libstb-dev): one cell
// per (output step, input character), darker = more attention, each row labelled with the
// character the decoder emitted and each column with the input character, in a built-in 3x5
// pixel font (digits, letters, space and , - . /; '$' draws a block for the end token).
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

#include <stb/stb_image_write.h>

namespace heatmap {

// Rows of 3 pixels (4 = left, 2 = middle, 1 = right), top to bottom.
inline const uint8_t* glyph(char c) {
  static const uint8_t digits[10][5] = {{7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7},
                                        {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1}, {7, 4, 7, 1, 7},
                                        {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7},
                                        {7, 5, 7, 1, 7}};
  static const uint8_t letters[26][5] = {
      {2, 5, 7, 5, 5}, {6, 5, 6, 5, 6}, {3, 4, 4, 4, 3}, {6, 5, 5, 5, 6}, {7, 4, 6, 4, 7},
      {7, 4, 6, 4, 4}, {3, 4, 5, 5, 3}, {5, 5, 7, 5, 5}, {7, 2, 2, 2, 7}, {1, 1, 1, 5, 2},
      {5, 5, 6, 5, 5}, {4, 4, 4, 4, 7}, {5, 7, 7, 5, 5}, {6, 5, 5, 5, 5}, {2, 5, 5, 5, 2},
      {6, 5, 6, 4, 4}, {2, 5, 5, 6, 3}, {6, 5, 6, 5, 5}, {3, 4, 2, 1, 6}, {7, 2, 2, 2, 2},
      {5, 5, 5, 5, 7}, {5, 5, 5, 5, 2}, {5, 5, 7, 7, 5}, {5, 5, 2, 5, 5}, {5, 5, 2, 2, 2},
      {7, 1, 2, 4, 7}};
  static const uint8_t dash[5] = {0, 0, 7, 0, 0}, slash[5] = {1, 1, 2, 4, 4},
                       dot[5] = {0, 0, 0, 0, 2}, comma[5] = {0, 0, 0, 2, 4},
                       blank[5] = {0, 0, 0, 0, 0}, end[5] = {0, 7, 7, 7, 0},
                       other[5] = {7, 1, 2, 0, 2};
  if (c >= '0' && c <= '9') return digits[c - '0'];
  const int lower = std::tolower(static_cast<unsigned char>(c));
  if (lower >= 'a' && lower <= 'z') return letters[lower - 'a'];
  switch (c) {
    case '-': return dash;
    case '/': return slash;
    case '.': return dot;
    case ',': return comma;
    case ' ': return blank;
    case '$': return end;  // the end-token step
    default: return other;
  }
}

/// Writes `weights` (rows = output steps, cols = input positions, values in [0, 1], row-major)
/// with `row_labels[r]` and `col_labels[c]` to a PNG at `path`. Returns false if it cannot write.
inline bool write_png(const std::string& path, const std::vector<float>& weights,
                      const std::string& row_labels, const std::string& col_labels) {
  const int rows = static_cast<int>(row_labels.size()), cols = static_cast<int>(col_labels.size());
  constexpr int kCell = 16, kScale = 2, kMargin = 2 * kCell;
  const int width = kMargin + cols * kCell + 4, height = kMargin + rows * kCell + 4;
  std::vector<uint8_t> rgb(static_cast<std::size_t>(width * height * 3), 255);
  auto put = [&](int x, int y, uint8_t r, uint8_t g, uint8_t b) {
    uint8_t* p = &rgb[static_cast<std::size_t>((y * width + x) * 3)];
    p[0] = r, p[1] = g, p[2] = b;
  };
  auto text = [&](char c, int x0, int y0) {  // a glyph at 2x: 6 x 10 pixels
    const uint8_t* g = glyph(c);
    for (int y = 0; y < 5 * kScale; ++y)
      for (int x = 0; x < 3 * kScale; ++x)
        if (g[y / kScale] & (4 >> (x / kScale))) put(x0 + x, y0 + y, 0, 0, 0);
  };
  for (int r = 0; r < rows; ++r) {
    text(row_labels[static_cast<std::size_t>(r)], kCell - 3, kMargin + r * kCell + 3);
    for (int c = 0; c < cols; ++c) {
      const float w = std::clamp(weights[static_cast<std::size_t>(r * cols + c)], 0.0f, 1.0f);
      // White (0) to dark blue (1).
      const auto red = static_cast<uint8_t>(255 * (1 - w)), green = static_cast<uint8_t>(255 * (1 - 0.8f * w));
      const auto blue = static_cast<uint8_t>(255 * (1 - 0.45f * w));
      for (int y = 1; y < kCell; ++y)
        for (int x = 1; x < kCell; ++x) put(kMargin + c * kCell + x, kMargin + r * kCell + y, red, green, blue);
    }
  }
  for (int c = 0; c < cols; ++c) text(col_labels[static_cast<std::size_t>(c)], kMargin + c * kCell + 5, kCell - 5);
  return stbi_write_png(path.c_str(), width, height, 3, rgb.data(), width * 3) != 0;
}

}  // namespace heatmap
