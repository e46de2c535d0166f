// 8-bit RGB images in memory and their PNG files (libpng), written atomically.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cosmograd::sim {

/// One 8-bit sRGB colour.
struct RGB {
  std::uint8_t r = 0;  ///< red, 0..255
  std::uint8_t g = 0;  ///< green, 0..255
  std::uint8_t b = 0;  ///< blue, 0..255
};

/// True when all three channels are equal.
inline bool operator==(RGB a, RGB b) { return a.r == b.r && a.g == b.g && a.b == b.b; }
/// True when any channel differs.
inline bool operator!=(RGB a, RGB b) { return !(a == b); }

/// An 8-bit RGB raster: 3 bytes per pixel, rows from the top, x to the right.
struct Image {
  int width = 0;                  ///< pixels per row
  int height = 0;                 ///< number of rows
  std::vector<std::uint8_t> rgb;  ///< width * height * 3 bytes, pixel (x, y) at 3 * (y * width + x)

  /// An empty 0 x 0 image.
  Image() = default;
  /// A width x height image filled with `fill`; throws std::invalid_argument unless
  /// 1 <= width, height <= 65535.
  Image(int width, int height, RGB fill = RGB{255, 255, 255});

  /// True when (x, y) is a pixel of the image.
  bool contains(int x, int y) const { return x >= 0 && y >= 0 && x < width && y < height; }
  /// Sets pixel (x, y); throws std::out_of_range when it is outside the image.
  void set(int x, int y, RGB c);
  /// Sets pixel (x, y) when it is inside the image and does nothing otherwise.
  void set_clipped(int x, int y, RGB c) {
    if (contains(x, y)) {
      std::uint8_t* p = &rgb[3 * (static_cast<std::size_t>(y) * width + x)];
      p[0] = c.r;
      p[1] = c.g;
      p[2] = c.b;
    }
  }
  /// The colour of pixel (x, y); throws std::out_of_range when it is outside the image.
  RGB get(int x, int y) const;
  /// Fills the whole image with `c`.
  void fill(RGB c);
};

/// Writes `image` as an 8-bit RGB PNG to `path`, atomically (temporary file, then rename);
/// throws CallError naming the file when libpng or the OS fails, std::invalid_argument when
/// the image is empty or its buffer size is not width * height * 3.
void write_png(const std::string& path, const Image& image);

/// Reads a PNG of any colour type and bit depth into 8-bit RGB (alpha is dropped, grey is
/// expanded, 16-bit is reduced); throws CallError naming the file on any failure.
Image read_png(const std::string& path);

}  // namespace cosmograd::sim
