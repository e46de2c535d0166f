// A corner plot (Foreman-Mackey 2016, corner.py) of posterior samples: the 1-D histograms of
// each parameter on the diagonal, the 2-D scatter of every pair below it, the truth marked.
#pragma once

#include <string>
#include <vector>

namespace cosmograd::viz {

/// What a corner plot shows.
struct CornerSpec {
  std::string title;                         ///< above the panels
  std::vector<std::string> names;            ///< one label per parameter
  std::vector<std::vector<double>> samples;  ///< one row per sample, one column per parameter
  std::vector<double> truth;                 ///< marked in every panel (empty: none)
  std::vector<double> lo, hi;  ///< axis ranges per parameter (empty: the samples' range)
  int bins = 30;               ///< histogram bins
  int panel = 360;             ///< panel side in pixels
};

/// Renders the corner plot into a PNG at `path` (panels drawn one by one, then tiled; the
/// file is written atomically). Throws std::invalid_argument naming a bad field of `spec`.
void write_corner_png(const std::string& path, const CornerSpec& spec);

}  // namespace cosmograd::viz
