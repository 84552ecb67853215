// A labelled attention heatmap as a PNG (stb_image_write from Debian's libstb-dev): one cell per
// (output step, input character), darker = more attention, with a title, both axes labelled
// character by character and titled, and a colour scale. Text is drawn in a built-in 5x9 pixel
// font (printable ASCII, with real lower case and descenders) at twice its size.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <stb/stb_image_write.h>

namespace heatmap {

/// The glyph of `c` (' ' to '~'; anything else draws as '?'): 9 rows of 5 pixels, the top row in
/// the highest 5 bits, the leftmost pixel the highest bit of its row. Rows 0-6 hold capitals and
/// digits, rows 7-8 descenders.
inline uint64_t glyph(char c) {
  static constexpr uint64_t kFont[95] = {
      0x000000000000, 0x042108401000, 0x0a5280000000, 0x0a57d5f52800, 0x047d1c5f1000,  //  !"#$
      0x18c888898c00, 0x0c9511593400, 0x042200000000, 0x022210820800, 0x082084222000,  // %&'()
      0x00255d520000, 0x00213e420000, 0x000000063088, 0x00001c000000, 0x000000063000,  // *+,-.
      0x010888884000, 0x0e8ceb98b800, 0x046108423800, 0x0e8844447c00, 0x1f110418b800,  // /0123
      0x0232a5f10800, 0x1f878218b800, 0x06443d18b800, 0x1f0888842000, 0x0e8c5d18b800,  // 45678
      0x0e8c5e113000, 0x006300c60000, 0x006300c61100, 0x022220820800, 0x0007c1f00000,  // 9:;<=
      0x082082222000, 0x0e8844401000, 0x0e885b5ab800, 0x0e8c7f18c400, 0x1e8c7d18f800,  // >?@AB
      0x0e8c2108b800, 0x1c9463197000, 0x1f843d087c00, 0x1f843d084000, 0x0e8c2f18bc00,  // CDEFG
      0x118c7f18c400, 0x0e2108423800, 0x071084293000, 0x119531494400, 0x108421087c00,  // HIJKL
      0x11dd6b18c400, 0x118e6b38c400, 0x0e8c6318b800, 0x1e8c7d084000, 0x0e8c63593400,  // MNOPQ
      0x1e8c7d494400, 0x0f841c10f800, 0x1f2108421000, 0x118c6318b800, 0x118c63151000,  // RSTUV
      0x118c6b5aa800, 0x118a88a8c400, 0x118c54421000, 0x1f0888887c00, 0x0e4210843800,  // WXYZ[
      0x108208208400, 0x0e1084213800, 0x045440000000, 0x00000000001f, 0x082080000000,  // \]^_`
      0x000382f8bc00, 0x1087a318f800, 0x0003a108b800, 0x010be318bc00, 0x0003a3f83800,  // abcde
      0x064a38842000, 0x0003e318bc2e, 0x1087a318c400, 0x040308423800, 0x020184210a4c,  // fghij
      0x1084a98a4800, 0x0c2108423800, 0x0006ab5ad400, 0x0007a318c400, 0x0003a318b800,  // klmno
      0x0007a318fa10, 0x0003e318bc21, 0x0005b3084000, 0x0003e0e0f800, 0x084710849800,  // pqrst
      0x00046319b400, 0x000463151000, 0x0004635aa800, 0x000454454400, 0x00046318bc2e,  // uvwxy
      0x0007c4447c00, 0x032110420c00, 0x042108421000, 0x182104426000, 0x00022a200000,  // z{|}~
  };
  const auto u = static_cast<unsigned char>(c);
  return kFont[u >= ' ' && u <= '~' ? u - ' ' : '?' - ' '];
}

/// An RGB image with text drawn at 2x: glyphs of 10 x 18 pixels on a 12-pixel advance.
class Canvas {
 public:
  static constexpr int kScale = 2, kAdvance = 6 * kScale, kLine = 9 * kScale, kCap = 7 * kScale;
  struct Colour {
    uint8_t r, g, b;
  };

  Canvas(int width, int height)
      : width_(width), height_(height), rgb_(static_cast<std::size_t>(width * height * 3), 255) {}

  static int text_width(const std::string& s) {
    return s.empty() ? 0 : static_cast<int>(s.size()) * kAdvance - kScale;
  }

  void fill(int x0, int y0, int w, int h, Colour c) {
    for (int y = std::max(y0, 0); y < std::min(y0 + h, height_); ++y) {
      for (int x = std::max(x0, 0); x < std::min(x0 + w, width_); ++x) {
        uint8_t* p = &rgb_[static_cast<std::size_t>((y * width_ + x) * 3)];
        p[0] = c.r, p[1] = c.g, p[2] = c.b;
      }
    }
  }

  /// `s` with its top left corner (the top of the capitals) at (x, y); `up` turns it a quarter
  /// to the left, reading bottom to top, its box kLine wide and text_width(s) high from (x, y).
  void text(const std::string& s, int x, int y, bool up = false) {
    const int length = text_width(s);
    for (std::size_t i = 0; i < s.size(); ++i) {
      const uint64_t g = glyph(s[i]);
      for (int row = 0; row < 9; ++row) {
        for (int col = 0; col < 5; ++col) {
          if (!((g >> ((8 - row) * 5 + 4 - col)) & 1)) continue;
          const int along = static_cast<int>(i) * kAdvance + col * kScale, across = row * kScale;
          if (up) {
            fill(x + across, y + length - along - kScale, kScale, kScale, {0, 0, 0});
          } else {
            fill(x + along, y + across, kScale, kScale, {0, 0, 0});
          }
        }
      }
    }
  }

  bool write_png(const std::string& path) const {
    return stbi_write_png(path.c_str(), width_, height_, 3, rgb_.data(), width_ * 3) != 0;
  }

 private:
  int width_, height_;
  std::vector<uint8_t> rgb_;
};

/// White (0) to dark blue (1).
inline Canvas::Colour colour(float w) {
  w = std::clamp(w, 0.0f, 1.0f);
  return {static_cast<uint8_t>(255 * (1 - w)), static_cast<uint8_t>(255 * (1 - 0.8f * w)),
          static_cast<uint8_t>(255 * (1 - 0.45f * w))};
}

/// Writes `weights` (rows = output steps, cols = input positions, values in [0, 1], row-major) to
/// a PNG at `path`: `title` on top, `row_labels[r]` left of row r (a step may emit a token of
/// several characters, such as the end token), the character `col_labels[c]` under column c, and
/// the colour scale on the right. Returns false if the sizes disagree or it cannot write.
inline bool write_png(const std::string& path, const std::string& title,
                      const std::vector<float>& weights, const std::vector<std::string>& row_labels,
                      const std::string& col_labels) {
  using C = Canvas;
  const std::string x_title = "input characters", y_title = "output characters",
                    scale_title = "attention weight";
  const int rows = static_cast<int>(row_labels.size()), cols = static_cast<int>(col_labels.size());
  if (weights.size() != row_labels.size() * col_labels.size()) return false;
  constexpr int kCell = 20, kPad = 14, kGap = 8, kBar = 16;
  int row_label_width = 0;
  for (const auto& label : row_labels) {
    row_label_width = std::max(row_label_width, C::text_width(label));
  }
  // Left to right: y title, row labels, grid, colour bar, its ticks (widest "0.5"), its title.
  const int grid_x = kPad + C::kLine + kGap + row_label_width + kGap;
  const int bar_x = grid_x + cols * kCell + 3 * kGap, tick_x = bar_x + kBar + 2 * kGap;
  const int scale_title_x = tick_x + C::text_width("0.5") + 2 * kGap;
  const int right = scale_title_x + C::kLine + kPad;
  // Top to bottom: title, the plot (tall enough for the vertical titles), column labels, x title.
  const int body_y = kPad + C::kLine + 2 * kGap;
  const int body_height =
      std::max({rows * kCell, C::text_width(y_title), C::text_width(scale_title)});
  const int grid_y = body_y + (body_height - rows * kCell) / 2;
  const int col_label_y = grid_y + rows * kCell + kGap, x_title_y = col_label_y + C::kLine + kGap;
  const int width = std::max(right, 2 * kPad + C::text_width(title));
  C image(width, x_title_y + C::kLine + kPad);

  image.text(title, (width - C::text_width(title)) / 2, kPad);
  image.text(y_title, kPad, body_y + (body_height - C::text_width(y_title)) / 2, true);
  image.text(x_title, std::max(kPad, grid_x + (cols * kCell - C::text_width(x_title)) / 2),
             x_title_y);
  // Light grey lines between the cells keep unattended (white) cells visible.
  image.fill(grid_x - 1, grid_y - 1, cols * kCell + 1, rows * kCell + 1, {210, 210, 210});
  for (int r = 0; r < rows; ++r) {
    const std::string& label = row_labels[static_cast<std::size_t>(r)];
    image.text(label, grid_x - kGap - C::text_width(label),
               grid_y + r * kCell + (kCell - C::kCap) / 2);
    for (int c = 0; c < cols; ++c) {
      const float w = weights[static_cast<std::size_t>(r * cols + c)];
      image.fill(grid_x + c * kCell, grid_y + r * kCell, kCell - 1, kCell - 1, colour(w));
    }
  }
  for (int c = 0; c < cols; ++c) {
    image.text(std::string(1, col_labels[static_cast<std::size_t>(c)]),
               grid_x + c * kCell + (kCell - 1 - C::text_width("x")) / 2, col_label_y);
  }
  // The colour scale: 1 at the top, 0 at the bottom, ticks at 0, 0.5 and 1.
  image.fill(bar_x - 1, body_y - 1, kBar + 2, body_height + 2, {120, 120, 120});
  for (int y = 0; y < body_height; ++y) {
    image.fill(bar_x, body_y + y, kBar, 1, colour(1 - static_cast<float>(y) / (body_height - 1)));
  }
  const char* ticks[] = {"1", "0.5", "0"};
  for (int i = 0; i < 3; ++i) {
    const int y = body_y + i * (body_height - 1) / 2;
    image.fill(bar_x + kBar + 1, y, kGap / 2, 1, {120, 120, 120});
    image.text(ticks[i], tick_x, y - C::kCap / 2);
  }
  image.text(scale_title, scale_title_x,
             body_y + (body_height - C::text_width(scale_title)) / 2, true);
  return image.write_png(path);
}

}  // namespace heatmap
