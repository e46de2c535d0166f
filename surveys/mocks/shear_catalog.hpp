// Weak-lensing quantities of lightcone galaxies: convergence and shear interpolated from the
// lightcone's source-plane maps (bilinear on HEALPix, sim/sky/healpix_interpolation.hpp, or on
// the flat TAN field), linearly in redshift between source planes (kappa = 0 at z = 0), plus
// intrinsic shapes and their lensing (Seitz & Schneider 1997, A&A 318, 687).
//
// Frames: on HEALPix maps gamma1 stretches along e_theta minus e_phi (sim/sky/shear.hpp), so a
// galaxy's (e1, e2) are in that local frame; on flat maps along the field's (xi, eta) axes.
#pragma once

#include <vector>

#include "sim/sky/shear.hpp"
#include "sim/sky/sky_map.hpp"
#include "surveys/mocks/mock_random.hpp"

namespace cosmograd::surveys {

/// Convergence and shear at one place.
struct Lensing {
  double kappa = 0;   ///< convergence
  double gamma1 = 0;  ///< shear component 1
  double gamma2 = 0;  ///< shear component 2
};

/// One source plane's maps: HEALPix (kappa.nside > 0) or flat (flat_kappa.n > 0).
struct SourcePlane {
  double z = 0;               ///< source redshift, > 0
  sim::HealpixMap kappa;      ///< full-sky convergence (RING)
  sim::HealpixShear shear;    ///< its shear
  sim::FlatMap flat_kappa;    ///< flat-sky convergence (TAN about +z)
  sim::FlatShear flat_shear;  ///< its shear
};

/// The maps of a plane at an observer-frame direction r (need not be normalised): HEALPix
/// bilinear at (theta, phi) = (acos(z/|r|), atan2(y, x)); flat: bilinear at (xi, eta) = (x/z,
/// y/z), pixel centres as in sim::FlatMap. Returns false (and zeros) for a direction outside
/// a flat field or behind it (z <= 0).
bool sample_plane(const SourcePlane& plane, const std::array<double, 3>& r, Lensing& out);

/// Lensing of a source at redshift z along r: linear in z between the bracketing planes
/// (sorted by z; the first interpolated from 0 at z = 0); beyond the last plane, that plane's
/// values (*beyond set true). Returns false when the direction is outside a flat field.
bool lensing_at(const std::vector<SourcePlane>& planes, const std::array<double, 3>& r, double z,
                Lensing& out, bool* beyond = nullptr);

/// Complex ellipticity (e1, e2), |e| < 1 (the (a - b)/(a + b) definition).
struct Ellipticity {
  double e1 = 0;  ///< along the frame's axes
  double e2 = 0;  ///< along the diagonals
};

/// Intrinsic ellipticity: each component Gaussian with sd sigma_e in [0, 0.7], redrawn until
/// |e| < 0.99 (shape noise per component sigma_e, e.g. 0.26 for LSST-like sources).
Ellipticity draw_intrinsic_ellipticity(double sigma_e, MockRng& rng);

/// Lensed ellipticity e = (e_s + g) / (1 + g* e_s) for |g| <= 1, e = (1 + g e_s*) / (e_s* + g*)
/// otherwise, with reduced shear g = gamma / (1 - kappa) (Seitz & Schneider 1997, eq. 8).
Ellipticity lens_ellipticity(const Ellipticity& intrinsic, const Lensing& lensing);

}  // namespace cosmograd::surveys
