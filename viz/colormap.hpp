// Perceptually uniform colour maps for images of fields (header only).
#pragma once

#include <cmath>
#include <cstdint>

#include "sim/io/png.hpp"

namespace cosmograd::sim {

namespace detail {

/// One anchor of a listed colour map: its index in the 256-entry table and its RGB in [0, 1].
struct ColormapAnchor {
  int index;
  double r, g, b;
};

// Matplotlib's 'inferno' (S. van der Walt and N. Smith, 2015; matplotlib
// lib/matplotlib/_cm_listed.py, _inferno_data, CC0): entries round(i * 255 / 32) for
// i = 0..32 of the 256-entry table. Linear interpolation between them reproduces the full
// table to within 1.7/255 in every channel.
inline constexpr ColormapAnchor kInfernoAnchors[] = {
    {0, 0.001462, 0.000466, 0.013866},   {8, 0.013995, 0.011225, 0.071862},
    {16, 0.042253, 0.028139, 0.141141},  {24, 0.081962, 0.043328, 0.215289},
    {32, 0.129285, 0.047293, 0.290788},  {40, 0.183429, 0.040329, 0.354971},
    {48, 0.238273, 0.036621, 0.396353},  {56, 0.290763, 0.045644, 0.418637},
    {64, 0.341500, 0.062325, 0.429425},  {72, 0.391453, 0.080927, 0.433109},
    {80, 0.441207, 0.099338, 0.431594},  {88, 0.491022, 0.117179, 0.425552},
    {96, 0.540920, 0.134729, 0.415123},  {104, 0.590734, 0.152563, 0.400290},
    {112, 0.640135, 0.171438, 0.381065}, {120, 0.688653, 0.192239, 0.357603},
    {128, 0.735683, 0.215906, 0.330245}, {135, 0.775059, 0.239667, 0.303526},
    {143, 0.817341, 0.270954, 0.270390}, {151, 0.855992, 0.307038, 0.235133},
    {159, 0.890341, 0.347957, 0.198286}, {167, 0.919879, 0.393389, 0.160070},
    {175, 0.944285, 0.442772, 0.120354}, {183, 0.963387, 0.495462, 0.079073},
    {191, 0.977092, 0.550850, 0.039050}, {199, 0.985315, 0.608422, 0.024202},
    {207, 0.987945, 0.667748, 0.058329}, {215, 0.984865, 0.728427, 0.120785},
    {223, 0.976108, 0.789974, 0.196018}, {231, 0.962517, 0.851476, 0.285546},
    {239, 0.948683, 0.910473, 0.395289}, {247, 0.951740, 0.960587, 0.524203},
    {255, 0.988362, 0.998364, 0.644924},
};

/// Channel value in [0, 1] to 8 bits, rounded to nearest.
inline std::uint8_t to_byte(double v) {
  const double s = std::round(v * 255.0);
  return static_cast<std::uint8_t>(s < 0.0 ? 0.0 : (s > 255.0 ? 255.0 : s));
}

}  // namespace detail

/// Matplotlib's 'inferno' at t in [0, 1] (black to pale yellow, monotonic lightness);
/// t outside [0, 1] is clamped and NaN gives the t = 0 colour.
inline RGB colormap_inferno(double t) {
  constexpr int kLast =
      static_cast<int>(sizeof(detail::kInfernoAnchors) / sizeof(detail::kInfernoAnchors[0])) - 1;
  if (!(t > 0.0)) t = 0.0;  // also catches NaN
  if (t > 1.0) t = 1.0;
  const double pos = t * 255.0;
  int j = static_cast<int>(t * kLast);
  if (j > kLast - 1) j = kLast - 1;
  while (j > 0 && pos < detail::kInfernoAnchors[j].index) --j;
  while (j < kLast - 1 && pos > detail::kInfernoAnchors[j + 1].index) ++j;
  const detail::ColormapAnchor& a = detail::kInfernoAnchors[j];
  const detail::ColormapAnchor& b = detail::kInfernoAnchors[j + 1];
  const double f = (pos - a.index) / (b.index - a.index);
  return RGB{detail::to_byte(a.r + f * (b.r - a.r)), detail::to_byte(a.g + f * (b.g - a.g)),
             detail::to_byte(a.b + f * (b.b - a.b))};
}

}  // namespace cosmograd::sim
