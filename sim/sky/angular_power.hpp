// Angular power spectra C_ell of HEALPix and flat-sky maps, with a simple mask correction,
// binned in ell, and their text tables.
#pragma once

#include <string>
#include <vector>

#include "sim/sky/sky_map.hpp"

namespace cosmograd::sim {

/// How ell bins are spaced.
enum class EllBinning {
  linear,  ///< equal widths in ell
  log,     ///< equal widths in log(ell)
};

/// Choices shared by healpix_cl and flat_cl.
struct AngularPowerOptions {
  EllBinning binning = EllBinning::linear;  ///< bin spacing
  int ell_min = 2;                   ///< HEALPix: lowest multipole binned (0..lmax); flat: unused
  int iterations = 3;                ///< HEALPix: map2alm Jacobi iterations, 0 to 10
  bool divide_pixel_window = false;  ///< divide C_ell by the pixel window squared (see below)
};

/// A binned angular power spectrum. C_ell is in (map unit)^2 sr (i.e. per steradian, the
/// usual C_ell of a dimensionless field). Cosmic variance of a bin: var(cl) ~ 2 cl^2 /
/// (f_sky modes).
struct AngularPower {
  std::vector<double> ell;            ///< mode-weighted mean multipole of each bin
  std::vector<double> ell_low;        ///< lower bin edge (included)
  std::vector<double> ell_high;       ///< upper bin edge (HEALPix: excluded; flat: included)
  std::vector<double> cl;             ///< mode-weighted mean C_ell [unit^2 sr]
  std::vector<double> modes;          ///< real degrees of freedom in the bin (full sky: sum 2l+1)
  std::vector<double> pixel_window2;  ///< mode-averaged pixel window squared w_ell^2
  double f_sky = 1;                   ///< mean(mask^2) (1 without a mask)
  bool pixel_window_divided = false;  ///< true when cl was divided by w_ell^2 mode by mode
  std::string map_type;               ///< "healpix" or "flat"
  int nside = 0;                      ///< HEALPix nside (0 for flat)
  int lmax = 0;                       ///< HEALPix lmax of the transform (0 for flat)
  int n = 0;                          ///< flat: pixels per side (0 for HEALPix)
  double field_deg = 0;               ///< flat: side of the field [deg] (0 for HEALPix)
};

/// Approximate HEALPix pixel window w_ell for `nside`, ell = 0..lmax: the window of a square
/// pixel of the pixel's area s^2 = 4 pi / (12 nside^2), averaged over orientations,
/// w = < sinc(ell s cos(a) / 2) sinc(ell s sin(a) / 2) >_a. HEALPix's tabulated windows need
/// data files that are not installed; against the window measured by averaging an nside-512
/// map into nside-64 pixels, w^2 is within 2 % for ell <= 2 nside and 6 % up to 3 nside (too
/// high). So it is reported and divided only on request.
std::vector<double> healpix_pixel_window_approx(int nside, int lmax);

/// Unbinned pseudo-C_ell of `map` times `mask` (nullptr: full sky) for ell = 0..lmax
/// [unit^2 sr], from healpix_cxx map2alm_iter with `iterations` iterations and unit ring
/// weights, divided by f_sky = mean(mask^2). This is the simple f_sky correction, not a full
/// MASTER deconvolution of the mode coupling (Hivon et al. 2002, ApJ 567, 2): fine for smooth
/// spectra and large masks, biased near sharp features and at low ell. Pixels where the mask
/// is 0 may hold anything (NaN, UNSEEN); others must be finite. Throws std::invalid_argument
/// for lmax outside 1..3 nside, nside mismatches, a mask outside [0, 1] or empty.
std::vector<double> healpix_cl_per_ell(const HealpixMap& map, const HealpixMap* mask, int lmax,
                                       int iterations = 3, double* f_sky = nullptr);

/// Groups a per-ell spectrum (index = ell) into `bins` bins from ell_min to cl.size() - 1:
/// mode-weighted (2 ell + 1) means of ell and C_ell, modes = sum of 2 ell + 1. Log bins that
/// would be empty after rounding to integers are merged, so fewer bins may come back. Throws
/// std::invalid_argument unless 1 <= bins <= number of multipoles and ell_min is in range
/// (ell_min >= 1 for log bins).
AngularPower bin_cl(const std::vector<double>& cl, int ell_min, int bins, EllBinning binning);

/// Binned C_ell of a HEALPix map (see healpix_cl_per_ell for the estimator and the mask
/// correction) from options.ell_min to lmax. pixel_window2 holds the approximate window of
/// healpix_pixel_window_approx; cl is divided by it only with options.divide_pixel_window.
AngularPower healpix_cl(const HealpixMap& map, const HealpixMap* mask, int lmax, int bins,
                        const AngularPowerOptions& options = {});

/// Binned C_ell of a flat map: 2D FFT (FFTW), C(l) = Omega_pix |sum_x f(x) e^{-i l.x}|^2 / N_pix
/// with Omega_pix = d^2 the tangent-plane pixel area (the TAN projection's distortion is
/// ignored), so white noise of pixel variance s^2 gives C = s^2 d^2; l = 2 pi (kx, ky) /
/// field_rad. Bins span 0.5 l_f (log bins: l_f) to the Nyquist l_N = pi / d, l_f = 2 pi /
/// field_rad (corners beyond l_N are left out; l = 0 is excluded; empty bins are dropped).
/// `mask` (nullptr: none) multiplies the map and C is divided by f_sky = mean(mask^2) (the
/// simple correction, not Hivon et al. 2002's MASTER). The pixel window is w^2 = sinc^2(lx d/2)
/// sinc^2(ly d/2), reported per bin and divided mode by mode with options.divide_pixel_window.
/// Throws std::invalid_argument for bad sizes, bins < 1, non-finite unmasked values.
AngularPower flat_cl(const FlatMap& map, const FlatMap* mask, int bins,
                     const AngularPowerOptions& options = {});

/// Text table of `p`: '#' lines (`header_lines`, then the map type, nside/lmax or n/field,
/// f_sky, whether the pixel window is divided, the columns and units), then one row per bin:
/// ell_mean ell_low ell_high cl modes pixwin2.
std::string angular_power_table(const AngularPower& p,
                                const std::vector<std::string>& header_lines = {});

}  // namespace cosmograd::sim
