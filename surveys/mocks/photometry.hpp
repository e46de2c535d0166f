// Broad-band photometry of SEDs and survey depth noise.
//
// Magnitudes are photon-counting AB magnitudes (Fukugita et al. 1996, AJ 111, 1748; Hogg et al.
// 2002, astro-ph/0210394), m = -2.5 log10[int f_nu T dnu/nu / int 3631 Jy T dnu/nu],
// evaluated in wavelength form with the band integrals of filters.hpp. Fluxes are in nJy with
// the survey convention m = 31.4 - 2.5 log10(f / nJy) (1 nJy = 1e-32 erg/s/cm^2/Hz; the exact
// 3631 Jy zero point differs from it by 7e-5 mag).
//
// Noise is background-limited: in a band of 5-sigma point-source depth m5 every source gets
// the flux error sigma = f(m5) / 5 [nJy], with no source Poisson term. Non-detections are kept
// and flagged (detected = false, mag = mag_err = NaN), never dropped.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "surveys/mocks/filters.hpp"
#include "surveys/mocks/mock_random.hpp"
#include "surveys/mocks/sed.hpp"

namespace cosmograd::surveys {

/// AB zero point 3631 Jy [erg/s/cm^2/Hz].
inline constexpr double kAbZeroPointFnu = 3631e-23;

/// Photon-counting AB magnitude in `filter` of a rest-frame SED at redshift z >= 0 and
/// luminosity distance luminosity_distance_mpc > 0 [Mpc, no h]; observed
/// f_lambda(lambda) = L_lambda(lambda / (1 + z)) / (4 pi d_L^2 (1 + z)) (Hogg et al.
/// 2002). +infinity for zero flux. The SED must cover the band at that redshift.
double ab_magnitude(const Sed& sed, double z, double luminosity_distance_mpc, const Filter& filter);

/// Magnitudes of ab_magnitude in each filter, in order.
std::vector<double> ab_magnitudes(const Sed& sed, double z, double luminosity_distance_mpc,
                                  const std::vector<Filter>& filters);

/// Photon-counting AB magnitude of an observed f_nu [erg/s/cm^2/Hz] given as a function of
/// observed wavelength [Angstrom]; a flat 3631 Jy gives 0 in every filter.
double ab_magnitude_of_fnu(const std::function<double(double)>& f_nu_of_lambda,
                           const Filter& filter);

/// Flux [nJy] of AB magnitude m: 10^(-0.4 (m - 31.4)); 0 for m = +infinity.
double mag_to_njy(double m);

/// AB magnitude of flux f [nJy]: 31.4 - 2.5 log10(f); NaN for f <= 0.
double njy_to_mag(double f);

/// Depth of one band.
struct BandDepth {
  std::string band;  ///< band name, matching Filter::name
  double m5;         ///< 5-sigma point-source limiting AB magnitude [mag]
};

/// Names accepted by builtin_depths.
std::vector<std::string> builtin_depth_sets();

/// Built-in ugrizy depths: "lsst_y10" (10-year coadd) and "lsst_single" (one 30 s visit)
/// (Ivezic et al. 2019, ApJ 873, 111). Unknown set: std::invalid_argument.
std::vector<BandDepth> builtin_depths(const std::string& set);

/// One noisy flux measurement.
struct ObservedFlux {
  double flux_njy;      ///< measured flux [nJy], may be negative
  double flux_err_njy;  ///< 1-sigma flux error [nJy]
  double mag;           ///< AB magnitude of flux_njy [mag]; NaN when not detected
  double mag_err;       ///< 2.5 / ln 10 * flux_err / flux [mag]; NaN when not detected
  bool detected;        ///< flux > 0 and flux / flux_err >= the S/N threshold
};

/// Draws a measurement of a source of true AB magnitude true_mag (+infinity for no flux) in a
/// band of depth m5 [mag]: flux = f(true_mag) + N(0, sigma), sigma = f(m5) / 5 [nJy].
ObservedFlux observe_flux(double true_mag, double m5, double snr_threshold, MockRng& rng);

}  // namespace cosmograd::surveys
