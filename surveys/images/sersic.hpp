// Galaxy and point-source profiles rendered into pixel images: Sersic profiles (Graham & Driver
// 2005) and bulge + disk sums, integrated over each pixel by adaptive cubature, and point sources.
//
// Conventions (shared with psf.hpp):
// - Pixel coordinates: pixel (ix, iy) covers [ix, ix + 1) x [iy, iy + 1), so its centre is at
//   (ix + 0.5, iy + 0.5); images are row-major, values[iy * nx + ix].
// - Radii are circularised: a sheared profile has semi-axes a = r sqrt((1 + |e|) / (1 - |e|)),
//   b = r sqrt((1 - |e|) / (1 + |e|)), so r = sqrt(a b) (GalSim's shear convention).
// - Ellipticity e = e1 + i e2 = (a - b) / (a + b) exp(2 i beta) (the "reduced shear" g of
//   GalSim and surveys/mocks/shear_catalog.hpp), beta the major axis' angle from +x towards +y;
//   e1 > 0 stretches along x, e2 > 0 along the diagonal x = y. It is applied as the
//   area-preserving shear S = [[1 + e1, e2], [e2, 1 - e1]] / sqrt(1 - |e|^2), so the flux is
//   unchanged and the distortion of the second moments is (Q11 - Q22, 2 Q12) / (Q11 + Q22) =
//   2 e / (1 + |e|^2) (Bartelmann & Schneider 2001, section 4.2).
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

namespace cosmograd::surveys {

/// A pixel image: flux per pixel, row-major values[iy * nx + ix].
struct Image {
  int nx = 0;                  ///< width [pixels]
  int ny = 0;                  ///< height [pixels]
  std::vector<double> values;  ///< flux per pixel (nx * ny values, row-major)

  /// Total flux: the sum of all pixels [flux units].
  double sum() const;
  /// An nx x ny image of zeros; nx, ny >= 1.
  static Image zeros(int nx, int ny);
  /// The pixel (ix, iy) [flux units]; no bounds check.
  double& at(int ix, int iy) { return values[static_cast<std::size_t>(iy) * nx + ix]; }
  /// The pixel (ix, iy) [flux units]; no bounds check.
  double at(int ix, int iy) const { return values[static_cast<std::size_t>(iy) * nx + ix]; }
};

/// Default Sersic truncation radius in units of the half-light radius.
inline constexpr double kSersicDefaultTruncation = 8.0;

/// A Sersic profile I(r) = I0 exp(-k (r / R_e)^(1/n)) (Sersic 1963; Graham & Driver 2005).
struct SersicProfile {
  double flux = 1;               ///< total flux of the (truncated) profile [flux units], >= 0
  double half_light_radius = 1;  ///< circularised sqrt(a b) half-light radius [pixels], > 0
  double n = 1;                  ///< Sersic index, 0.3 <= n <= 6.2 (GalSim's range)
  double e1 = 0;                 ///< ellipticity (a - b)/(a + b) along x, |e| < 1
  double e2 = 0;                 ///< ellipticity (a - b)/(a + b) along the diagonal, |e| < 1
  double x0 = 0;                 ///< centre [pixels, image pixel coordinates]
  double y0 = 0;                 ///< centre [pixels, image pixel coordinates]
  /// Truncation radius (circularised) in units of half_light_radius: 0 (untruncated) or >= 1.5.
  /// flux and half_light_radius describe the truncated profile (GalSim's flux_untruncated=false).
  double truncation = kSersicDefaultTruncation;
};

/// A bulge (typically n = 4) plus a disk (typically n = 1), rendered as the sum of both.
struct BulgeDisk {
  SersicProfile bulge;  ///< the bulge component
  SersicProfile disk;   ///< the disk component
};

/// An elliptical radial profile, the input of the generic pixel integrator.
struct EllipticalProfile {
  /// Surface brightness [flux / pixel^2] at circularised radius squared r^2 [pixel^2]; must be
  /// non-increasing and convex in r^2 where negligible (Sersic, Gaussian and Moffat are).
  std::function<double(double)> intensity;
  double x0 = 0;                 ///< centre [pixels]
  double y0 = 0;                 ///< centre [pixels]
  double e1 = 0;                 ///< ellipticity (a - b)/(a + b) along x, |e| < 1
  double e2 = 0;                 ///< ellipticity (a - b)/(a + b) along the diagonal, |e| < 1
  double truncation_radius = 0;  ///< circularised radius beyond which it is 0 [pixels]; 0: none
  double flux_scale = 1;         ///< its total flux [flux units]: sets the absolute tolerance
};

/// b_n solving P(2n, b_n) = 1/2 (Ciotti & Bertin 1999, eq. 4), via boost's gamma_p_inv; n > 0.
double sersic_bn(double n);

/// The Sersic k: k = b_n when untruncated, else the root of P(2n, k) = P(2n, k t^(1/n)) / 2 so
/// that R_e is the half-light radius of the profile truncated at t R_e (GalSim's convention).
double sersic_k(double n, double truncation);

/// Fraction of a Sersic profile's flux within circularised radius R [units of R_e].
double sersic_enclosed_fraction(const SersicProfile& p, double r_over_re);

/// Surface brightness of p at the point (x, y) [flux / pixel^2]; 0 beyond the truncation.
double sersic_intensity(const SersicProfile& p, double x, double y);

/// Adds the pixel-integrated flux of p to each pixel of image (flux outside the image is lost).
void add_sersic(Image& image, const SersicProfile& p);

/// Adds both components of a bulge + disk galaxy to image.
void add_bulge_disk(Image& image, const BulgeDisk& galaxy);

/// A bulge (n = 4) + disk (n = 1) galaxy of total flux [flux units] with bulge fraction
/// bulge_to_total in [0, 1], radii [pixels], a common centre [pixels] and ellipticity.
BulgeDisk make_bulge_disk(double flux, double bulge_to_total, double bulge_radius,
                          double disk_radius, double x0, double y0, double e1 = 0, double e2 = 0);

/// Adds a point source of flux [flux units] at (x0, y0) [pixels] by cloud-in-cell sharing: a
/// pixel-sized box centred on the point, split by overlap area among up to 4 pixels (all in one
/// pixel when it sits on a pixel centre; exact centroid; flux off the image is lost).
void add_point_source(Image& image, double flux, double x0, double y0);

/// Adds the integral over each pixel of profile to image (flux off the image is lost): globally
/// adaptive Genz & Malik (1980) degree-7/5 cubature per pixel to a relative 1e-7 (absolute
/// 1e-10 flux_scale), with the value and slope of the truncation edge integrated exactly.
void add_elliptical_profile(Image& image, const EllipticalProfile& profile);

}  // namespace cosmograd::surveys
