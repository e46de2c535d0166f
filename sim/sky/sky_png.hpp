// Pictures of sky maps: HEALPix maps in the Mollweide projection and flat maps, coloured with
// a viridis-like perceptual colour map, as 8-bit RGB images (save with sim::write_png).
#pragma once

#include <vector>

#include "sim/io/png.hpp"
#include "sim/sky/sky_map.hpp"

namespace cosmograd::sim {

/// How map values become colours: linear between `min` and `max`, or (automatic) between
/// the low and high percentiles of the finite values.
struct ColorScale {
  bool automatic = true;          ///< take min/max from the percentiles below
  double min = 0;                 ///< value shown with the first colour (automatic = false)
  double max = 1;                 ///< value shown with the last colour (automatic = false)
  double low_percentile = 1.0;    ///< automatic: percentile for min, 0..100
  double high_percentile = 99.0;  ///< automatic: percentile for max, 0..100
  /// A fixed linear scale from `lo` to `hi`.
  static ColorScale linear(double lo, double hi) {
    ColorScale s;
    s.automatic = false;
    s.min = lo;
    s.max = hi;
    return s;
  }
};

/// The value range [first, second] that `scale` gives for `values` (non-finite values and
/// healpy's UNSEEN, -1.6375e30, are ignored). Throws std::invalid_argument for percentiles
/// outside 0 <= low < high <= 100, or a non-finite or reversed fixed range (min > max).
std::vector<double> color_range(const std::vector<double>& values, const ColorScale& scale);

/// A viridis-like colour at t in [0, 1] (dark blue-purple to yellow, lightness increasing;
/// nine anchors of matplotlib's viridis, van der Walt & Smith 2015, linearly interpolated);
/// t is clamped, NaN gives the t = 0 colour.
RGB colormap_viridis(double t);

/// The colour of pixels with no data (non-finite or UNSEEN): mid grey.
inline constexpr RGB kNoDataColor{160, 160, 160};

/// Mollweide picture of `map`: width x width/2 pixels, the full sky inside the ellipse with
/// longitude phi = 0 at the centre and increasing to the left (astronomical convention, as
/// healpy's mollview), north up; each image pixel takes the value of the HEALPix pixel under
/// its centre (Healpix_Base::ang2pix); white outside the ellipse, grey where there is no data.
/// Throws std::invalid_argument for width outside 4..65535 or a bad map.
Image mollweide_image(const HealpixMap& map, int width, const ColorScale& scale = {});

/// Picture of a flat map: n*scale x n*scale pixels, each map pixel a scale x scale block, ix to
/// the right and iy = 0 at the bottom (as FITS viewers show the image, RA increasing to the
/// left); grey where there is no data. Throws std::invalid_argument for scale < 1, n*scale
/// > 65535 or a bad map.
Image flat_image(const FlatMap& map, int scale = 1, const ColorScale& color = {});

}  // namespace cosmograd::sim
