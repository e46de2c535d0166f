// Trace plots of Markov chains (e.g. the HMC sampler's draws): one panel per quantity,
// stacked vertically, one line per chain against the iteration, with an optional truth line.
#pragma once

#include <string>
#include <vector>

namespace cosmograd::viz {

/// What a trace plot shows.
struct TraceSpec {
  std::string title;               ///< above the panels (empty: no title strip)
  std::vector<std::string> names;  ///< one per quantity (panel), the panel's y label
  /// draws[q][c][t]: quantity q, chain c, draw t (every chain of every quantity the same
  /// length, >= 1 draw; non-finite draws break the line)
  std::vector<std::vector<std::vector<double>>> draws;
  /// a horizontal line per panel, dashed black (empty: none; NaN entries: none for that panel)
  std::vector<double> truth;
  int first_draw = 0;      ///< iteration number of draw 0 (x axis), >= 0
  int width = 1100;        ///< image width in pixels, 240..8192
  int panel_height = 260;  ///< pixels per panel, 180..8192
};

/// Renders one panel per quantity, stacked vertically, each with one line per chain (tab10
/// colours, chain c in tab10(c)) against iteration; writes the PNG atomically. The image is
/// width x (40 if the title is set + names.size() * panel_height) pixels. Throws
/// std::invalid_argument naming a bad field.
void write_trace_png(const std::string& path, const TraceSpec& spec);

}  // namespace cosmograd::viz
