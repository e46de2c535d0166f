#include "surveys/mocks/photometry.hpp"

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace cosmograd::surveys {
namespace {

constexpr double kC = 2.99792458e18;            // speed of light [Angstrom/s]
constexpr double kMpc = 3.0856775814913673e24;  // megaparsec [cm]
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

std::string num(double v) {
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

/// -2.5 log10 of the photon-weighted mean f_nu over the AB one, from int f_nu T dlambda/lambda.
double ab_from_band_integral(double f_nu_integral, const Filter& filter,
                             const std::vector<double>& extra) {
  const double ab = kAbZeroPointFnu * integrate_band(
                                          filter, [](double lam) { return 1.0 / lam; }, extra);
  if (f_nu_integral <= 0.0)
    return f_nu_integral == 0.0 ? std::numeric_limits<double>::infinity() : kNan;
  return -2.5 * std::log10(f_nu_integral / ab);
}

}  // namespace

double ab_magnitude(const Sed& sed, double z, double luminosity_distance_mpc,
                    const Filter& filter) {
  if (!std::isfinite(z) || z < 0.0)
    throw std::invalid_argument("ab_magnitude: z = " + num(z) + " (must be finite and >= 0)");
  if (!std::isfinite(luminosity_distance_mpc) || luminosity_distance_mpc <= 0.0)
    throw std::invalid_argument("ab_magnitude: luminosity_distance_mpc = " +
                                num(luminosity_distance_mpc) + " (must be finite and > 0, Mpc)");
  validate(filter);
  const double opz = 1.0 + z;
  if (sed.wavelength.front() * opz > filter.wavelength.front() ||
      sed.wavelength.back() * opz < filter.wavelength.back())
    throw std::invalid_argument(
        "ab_magnitude: the SED covers " + num(sed.wavelength.front() * opz) + "-" +
        num(sed.wavelength.back() * opz) + " Angstrom observed at z = " + num(z) +
        " (must cover filter '" + filter.name + "', " + num(filter.wavelength.front()) + "-" +
        num(filter.wavelength.back()) + " Angstrom)");
  const double d_cm = luminosity_distance_mpc * kMpc;
  const double norm = 1.0 / (4.0 * M_PI * d_cm * d_cm * opz);
  std::vector<double> observed(sed.wavelength);
  for (auto& lam : observed) lam *= opz;
  // f_nu / lambda = f_lambda lambda / c, with f_lambda from Hogg et al. 2002.
  const auto f_nu_over_lambda = [&](double lam) {
    return l_lambda_at(sed, lam / opz) * norm * lam / kC;
  };
  return ab_from_band_integral(integrate_band(filter, f_nu_over_lambda, observed), filter,
                               observed);
}

std::vector<double> ab_magnitudes(const Sed& sed, double z, double luminosity_distance_mpc,
                                  const std::vector<Filter>& filters) {
  std::vector<double> mags;
  for (const auto& f : filters) mags.push_back(ab_magnitude(sed, z, luminosity_distance_mpc, f));
  return mags;
}

double ab_magnitude_of_fnu(const std::function<double(double)>& f_nu_of_lambda,
                           const Filter& filter) {
  validate(filter);
  const auto integrand = [&f_nu_of_lambda](double lam) { return f_nu_of_lambda(lam) / lam; };
  return ab_from_band_integral(integrate_band(filter, integrand), filter, {});
}

double mag_to_njy(double m) { return std::pow(10.0, -0.4 * (m - 31.4)); }

double njy_to_mag(double f) { return f > 0.0 ? 31.4 - 2.5 * std::log10(f) : kNan; }

std::vector<std::string> builtin_depth_sets() { return {"lsst_y10", "lsst_single"}; }

std::vector<BandDepth> builtin_depths(const std::string& set) {
  if (set == "lsst_y10")
    return {{"u", 25.6}, {"g", 26.9}, {"r", 26.9}, {"i", 26.4}, {"z", 25.6}, {"y", 24.8}};
  if (set == "lsst_single")
    return {{"u", 23.9}, {"g", 25.0}, {"r", 24.7}, {"i", 24.0}, {"z", 23.3}, {"y", 22.1}};
  throw std::invalid_argument("builtin_depths: set = '" + set +
                              "' is unknown (allowed: lsst_y10, lsst_single)");
}

ObservedFlux observe_flux(double true_mag, double m5, double snr_threshold, MockRng& rng) {
  if (std::isnan(true_mag) || true_mag == -std::numeric_limits<double>::infinity())
    throw std::invalid_argument("observe_flux: true_mag = " + num(true_mag) +
                                " (must be finite or +infinity, AB mag)");
  if (!std::isfinite(m5))
    throw std::invalid_argument("observe_flux: m5 = " + num(m5) + " (must be finite, AB mag)");
  if (!std::isfinite(snr_threshold))
    throw std::invalid_argument("observe_flux: snr_threshold = " + num(snr_threshold) +
                                " (must be finite)");
  ObservedFlux out{};
  out.flux_err_njy = mag_to_njy(m5) / 5.0;
  out.flux_njy = mag_to_njy(true_mag) + out.flux_err_njy * rng.normal();
  out.detected = out.flux_njy > 0.0 && out.flux_njy / out.flux_err_njy >= snr_threshold;
  out.mag = out.detected ? njy_to_mag(out.flux_njy) : kNan;
  out.mag_err = out.detected ? 2.5 / std::log(10.0) * out.flux_err_njy / out.flux_njy : kNan;
  return out;
}

}  // namespace cosmograd::surveys
