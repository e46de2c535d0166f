// Stamp thumbnails drawn into RGB rasters for the discovery pictures: query rows with their
// neighbours, the top-ranked anomalies, and the self-organising map mosaic.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "sim/io/png.hpp"
#include "surveys/images/stamp_set.hpp"

namespace cosmograd::surveys {

/// Draws stamp k of `set` at (ox, oy) (top-left, raster pixels), each stamp pixel zoom x zoom,
/// as asinh(v / noise_sigma) / asinh(max(peak / noise_sigma, 1)) greyscale clipped to [0, 1],
/// row iy = 0 at the bottom (as sky images are shown); pixels outside the raster are skipped.
void draw_stamp(sim::Image& image, const StampSet& set, std::size_t k, int ox, int oy, int zoom);

/// Draws a `width`-pixel frame of colour c just inside the square (ox, oy, side, side).
void draw_frame(sim::Image& image, int ox, int oy, int side, int width, sim::RGB c);

/// Writes a PNG of rows of stamps: rows[r] lists the stamp indices of row r (an index >= N
/// leaves its cell dark), each cell S x zoom pixels with a 2-pixel gap; frames[r][j] (when the
/// vector has that entry and its alpha flag `framed[r][j]` is true) colours cell j's border.
void write_stamp_rows_png(const std::string& path, const StampSet& set,
                          const std::vector<std::vector<std::size_t>>& rows, int zoom,
                          const std::vector<std::vector<sim::RGB>>& frames = {},
                          const std::vector<std::vector<bool>>& framed = {});

}  // namespace cosmograd::surveys
