// Non-parametric measurements of a single-galaxy stamp: flux, centroid, half-light radius,
// adaptive-moment ellipticity, rotational asymmetry, Gini and M20, and S/N, to compare a
// generative model's samples with real stamps (both measured the same way; nothing here
// corrects for the PSF or the pixel).
//
// Definitions (pixel (ix, iy) covers [ix, ix + 1) x [iy, iy + 1), its value sits at its centre
// (ix + 0.5, iy + 0.5); sigma is the background rms per pixel, noise assumed white):
// - Segment S: the 8-connected pixels with value > sigma (1 sigma, raw pixels, no smoothing)
//   connected to the seed, the stamp's centre pixel (nx / 2, ny / 2) when it is above 1 sigma,
//   else the brightest pixel above 1 sigma within max(2, min(nx, ny) / 8) px of the centre.
//   Empty when there is none (then ok = false and every segment estimator is NaN). Gini and
//   M20 depend on the depth through it (a noiseless n = 1, R_e = 3 px profile of flux 1000
//   has G = 0.84 at sigma = 0.01 and 0.52 at sigma = 1): compare stamps at equal noise
//   (Lotz et al. 2004's Petrosian segmentation would reduce this; not done here).
// - flux: the sum of all pixels of the stamp (stamps hold one galaxy, background-subtracted).
// - Adaptive moments (Bernstein & Jarvis 2002, section 3.1; Hirata & Seljak 2003, HSM): with
//   the elliptical Gaussian weight W = exp(-d^T M^-1 d / 2), d = p - c, iterate from the
//   segment's moments c <- sum W I p / sum W I, M <- 2 sum W I d d^T / sum W I (the fixed point
//   of a Gaussian of covariance M) until c moves < 1e-7 px and M < 1e-7 of its trace (at most
//   300 steps). It fails (non-positive weighted flux, M not positive definite, c leaving the
//   stamp, sqrt(tr M) beyond the stamp, no convergence; e.g. an unresolved cusp such as a
//   Sersic n = 4 profile without PSF, whose weight collapses to a pixel); then the unweighted
//   flux-weighted moments of the segment are used instead, and when they fail too (empty
//   segment, sum <= 0, M not positive definite) ok = false.
// - x, y: the adaptive-moment centre c (or the segment's flux-weighted centroid on fallback).
// - e1, e2: from the distortion chi = (M11 - M22, 2 M12) / (M11 + M22) the shear-like
//   e = chi / (1 + sqrt(1 - |chi|^2)) = (a - b) / (a + b) (Bartelmann & Schneider 2001,
//   section 4.2), the convention of SersicProfile; exact for an elliptical Gaussian.
// - half_light_radius: the circularised radius sqrt(a b) enclosing half of `flux` in
//   elliptical apertures of the measured shape, r^2 = sqrt(det M) d^T M^-1 d about c. Each
//   pixel is split into 5 x 5 sub-pixels sharing its flux in proportion to the positive part
//   of the image's bilinear interpolation there (equally when that is 0), which undoes most of
//   the pixel's broadening (uniform sharing overestimates an n = 1, R_e = 2 px profile's R_e
//   by 3.6%); the curve of growth over the sub-pixels sorted by r is linearly interpolated at
//   flux / 2. NaN when flux <= 0 or !ok.
// - asymmetry: A = (sum_S |I - I_180| - B) / sum_S |I| (Conselice, Bershady & Jangren 2000,
//   with the background term subtracted analytically), I_180 the image rotated by 180 deg about
//   c, I(2 c - p) by Keys (1981) cubic convolution (a = -1/2), over the segment pixels whose
//   4 x 4 stencil lies inside the stamp. B = sum_S sqrt(2/pi) sigma sqrt(1 + sum_k w_k^2), the
//   expected |noise - interpolated noise| of white noise (w_k the 16 interpolation weights;
//   sqrt(2) sigma sqrt(2/pi) per pixel when 2 c falls on the pixel grid). No minimisation over
//   the centre (unlike Conselice et al. 2000). Interpolation floor: bilinear interpolation
//   would leave A = 0.056 for a noiseless round Gaussian of R_e = 2 px, cubic convolution
//   0.009 (pixel-integrated profiles off the grid); unresolved cusps (a Sersic n = 4 without PSF)
//   keep A ~ 0.1-0.2 with either.
// - gini (on the segment): G = sum_i (2 i - n - 1) |X_i| / (mean|X| n (n - 1)) over the n
//   segment pixels sorted by |X| ascending, i = 1..n (Lotz, Primack & Madau 2004); 1 for a
//   one-pixel segment.
// - m20 (on the segment): log10(sum_i M_i / M_tot), M_i = f_i r_i^2 about the segment's
//   flux-weighted centroid (which minimises M_tot), over the brightest segment pixels taken in
//   decreasing order up to and including the one where their cumulative flux reaches 20% of
//   the segment's (Lotz et al. 2004). NaN when M_tot = 0 or those pixels all sit on the
//   centroid.
// - snr: sum W I / (sigma sqrt(sum W^2)), the S/N in white noise of the flux weighted by the
//   converged adaptive weight W (a matched filter for a Gaussian); W = 1 on the segment on
//   fallback.
#pragma once

#include "surveys/images/sersic.hpp"

namespace cosmograd::surveys {

/// Non-parametric measurements of one stamp (definitions in the header comment).
struct StampMeasures {
  double flux = 0;               ///< sum of all pixels [image unit]
  double x = 0;                  ///< centroid [pixels, image coordinates, centres at +0.5]
  double y = 0;                  ///< centroid [pixels, image coordinates, centres at +0.5]
  double half_light_radius = 0;  ///< circularised sqrt(a b) half-light radius [pixels]
  double e1 = 0;                 ///< ellipticity (a - b)/(a + b) along x [dimensionless]
  double e2 = 0;                 ///< ellipticity (a - b)/(a + b) along x = y [dimensionless]
  double asymmetry = 0;          ///< background-corrected rotational asymmetry [dimensionless]
  double gini = 0;               ///< Gini coefficient of the segment pixels, in [0, 1]
  double m20 = 0;                ///< second-order moment of the brightest 20% [log10]
  double snr = 0;                ///< matched-filter signal-to-noise ratio [dimensionless]
  bool adaptive = false;         ///< whether the adaptive moments converged (else fallback)
  bool ok = false;               ///< whether a centroid and a shape were measured
};

/// Measures `image` [any unit per pixel, background-subtracted] with background rms
/// noise_sigma [same unit, > 0]; throws std::invalid_argument for an empty or malformed image,
/// a non-finite pixel or a bad sigma, naming the field.
StampMeasures measure_stamp(const Image& image, double noise_sigma);

}  // namespace cosmograd::surveys
