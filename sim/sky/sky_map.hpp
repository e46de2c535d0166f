// Maps on the sky: HEALPix maps (full sky, RING ordering) and flat-sky maps (a square field
// in the gnomonic / TAN projection), the two forms the lightcone writes.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

namespace cosmograd::sim {

/// A HEALPix map in RING ordering (Gorski et al. 2005): 12 nside^2 pixels, pixel p of
/// healpix_cxx's Healpix_Base(nside, RING).
struct HealpixMap {
  int nside = 0;               ///< HEALPix resolution parameter (a power of 2, 1..8192)
  std::vector<double> values;  ///< one value per pixel, RING order
  /// Number of pixels, 12 nside^2.
  std::size_t pixels() const { return 12 * static_cast<std::size_t>(nside) * nside; }
  /// A map of `nside` filled with `fill` (nside not checked).
  static HealpixMap filled(int nside, double fill = 0.0) {
    HealpixMap m;
    m.nside = nside;
    m.values.assign(m.pixels(), fill);
    return m;
  }
};

/// A flat-sky map: n x n pixels covering field_deg x field_deg in the gnomonic (TAN)
/// projection about the line of sight. Pixel (ix, iy) has its centre at the tangent-plane
/// coordinates xi = (ix + 1/2 - n/2) d, eta = (iy + 1/2 - n/2) d [rad], d = field_deg / n in
/// radians; xi runs along the field's first axis (FITS NAXIS1, RA decreasing: CDELT1 < 0),
/// eta along the second (Dec). Values are row-major: values[iy * n + ix].
struct FlatMap {
  int n = 0;                   ///< pixels per side
  double field_deg = 0;        ///< side of the field [deg] (tangent-plane extent)
  std::vector<double> values;  ///< n * n values, values[iy * n + ix]
  /// Pixel side in the tangent plane [rad].
  double pixel_rad() const { return field_deg * (M_PI / 180.0) / n; }
  /// Number of pixels, n^2.
  std::size_t pixels() const { return static_cast<std::size_t>(n) * n; }
  /// Solid angle of pixel (ix, iy) [sr]: d^2 / (1 + xi^2 + eta^2)^(3/2) at its centre
  /// (the gnomonic projection's area element).
  double pixel_solid_angle(int ix, int iy) const {
    const double d = pixel_rad();
    const double xi = (ix + 0.5 - 0.5 * n) * d, eta = (iy + 0.5 - 0.5 * n) * d;
    return d * d / std::pow(1.0 + xi * xi + eta * eta, 1.5);
  }
  /// A map of n x n pixels over field_deg filled with `fill` (not checked).
  static FlatMap filled(int n, double field_deg, double fill = 0.0) {
    FlatMap m;
    m.n = n;
    m.field_deg = field_deg;
    m.values.assign(m.pixels(), fill);
    return m;
  }
};

}  // namespace cosmograd::sim
