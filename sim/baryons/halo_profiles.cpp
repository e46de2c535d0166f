#include "sim/baryons/halo_profiles.hpp"

#include <array>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

#include "sim/core/require.hpp"

namespace cosmograd::sim {
namespace {

constexpr double kPi = 3.14159265358979323846;

// 8-point Gauss-Legendre nodes and weights on [-1, 1] (positive half; symmetric).
constexpr std::array<double, 4> kGlNode = {0.1834346424956498, 0.5255324099163290,
                                           0.7966664774136267, 0.9602898564975363};
constexpr std::array<double, 4> kGlWeight = {0.3626837833783620, 0.3137066458778873,
                                             0.2223810344533745, 0.1012285362903763};

}  // namespace

double nfw_mass_shape(double x) {
  require(x >= 0.0, "x", x, ">= 0");
  // Series for small x avoids the cancellation of ln(1 + x) - x / (1 + x) ~ x^2 / 2.
  if (x < 1e-4) return x * x * (0.5 - x * (2.0 / 3.0 - x * 0.75));
  return std::log1p(x) - x / (1.0 + x);
}

double nfw_density(double r, double r_s, double rho_s) {
  require(r > 0.0, "r", r, "> 0");
  require(r_s > 0.0, "r_s", r_s, "> 0");
  const double x = r / r_s;
  return rho_s / (x * (1.0 + x) * (1.0 + x));
}

double nfw_enclosed_mass(double r, double r_s, double rho_s) {
  require(r >= 0.0, "r", r, ">= 0");
  require(r_s > 0.0, "r_s", r_s, "> 0");
  return 4.0 * kPi * rho_s * r_s * r_s * r_s * nfw_mass_shape(r / r_s);
}

double truncated_nfw_density(double r, double r_s, double rho_s, double r_t) {
  require(r_t > 0.0, "r_t", r_t, "> 0");
  const double t = 1.0 + (r / r_t) * (r / r_t);
  return nfw_density(r, r_s, rho_s) / (t * t);
}

double truncated_nfw_enclosed_mass(double r, double r_s, double rho_s, double r_t) {
  require(r >= 0.0, "r", r, ">= 0");
  require(r_s > 0.0, "r_s", r_s, "> 0");
  require(r_t > 0.0, "r_t", r_t, "> 0");
  if (r == 0.0) return 0.0;
  return spherical_integral([&](double q) { return truncated_nfw_density(q, r_s, rho_s, r_t); }, r);
}

double duffy08_c200c(double m200c, double z) {
  require(m200c > 0.0, "m200c [Msun/h]", m200c, "> 0");
  require(z > -1.0, "z", z, "> -1");
  // Duffy et al. 2008, Table 1: NFW, full sample, Delta = 200c, pivot 2e12 Msun/h.
  return 5.71 * std::pow(m200c / 2.0e12, -0.084) * std::pow(1.0 + z, -0.47);
}

double so_radius(double mass, double mean_density) {
  require(mass > 0.0, "mass", mass, "> 0");
  require(mean_density > 0.0, "mean_density", mean_density, "> 0");
  return std::cbrt(3.0 * mass / (4.0 * kPi * mean_density));
}

double spherical_integral(const std::function<double(double)>& f, double r_max) {
  require(r_max > 0.0 && std::isfinite(r_max), "r_max", r_max, "finite and > 0");
  constexpr int kDecades = 14;
  constexpr int kPanelsPerDecade = 8;
  constexpr int kPanels = kDecades * kPanelsPerDecade;
  const double ln_hi = std::log(r_max);
  const double ln_lo = ln_hi - kDecades * std::log(10.0);
  const double width = (ln_hi - ln_lo) / kPanels;
  // Innermost sphere r < r_lo as a uniform density f(r_lo): negligible for r^3 f -> 0.
  const double r_lo = std::exp(ln_lo);
  double sum = f(r_lo) * r_lo * r_lo * r_lo / 3.0;
  // 4 pi int f r^2 dr = 4 pi int f r^3 d ln r, panel by panel from the centre outwards.
  for (int p = 0; p < kPanels; ++p) {
    const double mid = ln_lo + (p + 0.5) * width;
    double panel = 0.0;
    for (std::size_t k = 0; k < kGlNode.size(); ++k) {
      for (const double sign : {-1.0, 1.0}) {
        const double r = std::exp(mid + sign * 0.5 * width * kGlNode[k]);
        panel += kGlWeight[k] * f(r) * r * r * r;
      }
    }
    sum += 0.5 * width * panel;
  }
  return 4.0 * kPi * sum;
}

NfwHalo::NfwHalo(double m200c_in, double r200c_in, double c200c_in)
    : m200c(m200c_in), r200c(r200c_in), c200c(c200c_in) {
  require(m200c > 0.0 && std::isfinite(m200c), "m200c [Msun/h]", m200c, "finite and > 0");
  require(r200c > 0.0 && std::isfinite(r200c), "r200c [Mpc/h]", r200c, "finite and > 0");
  require(c200c > 0.0 && std::isfinite(c200c), "c200c", c200c, "finite and > 0");
  r_s = r200c / c200c;
  rho_s = m200c / (4.0 * kPi * r_s * r_s * r_s * nfw_mass_shape(c200c));
}

SoMass NfwHalo::at_mean_density(double mean_density) const {
  require(mean_density > 0.0 && std::isfinite(mean_density), "mean_density", mean_density,
          "finite and > 0 [(Msun/h)/(Mpc/h)^3]");
  // g(R) = ln(M(<R) / (mean_density 4 pi R^3 / 3)) falls monotonically from +inf (R -> 0,
  // ~ 1/R) to -inf (R -> inf, ~ -2 ln R): bracket the root by doubling, then bisect ln R.
  const auto g = [&](double ln_r) {
    const double r = std::exp(ln_r);
    return std::log(enclosed_mass(r) / (mean_density * 4.0 * kPi / 3.0 * r * r * r));
  };
  double lo = std::log(r200c);
  double hi = lo;
  while (g(lo) < 0.0) lo -= std::log(2.0);
  while (g(hi) > 0.0) hi += std::log(2.0);
  for (int it = 0; it < 200 && hi - lo > 1e-14; ++it) {
    const double mid = 0.5 * (lo + hi);
    (g(mid) > 0.0 ? lo : hi) = mid;
  }
  const double radius = std::exp(0.5 * (lo + hi));
  return {enclosed_mass(radius), radius};
}

SoMass NfwHalo::at_critical_overdensity(double delta) const {
  require(delta > 0.0 && std::isfinite(delta), "delta", delta, "finite and > 0");
  return at_mean_density(delta * rho_crit());
}

double NfwHalo::rho_crit() const { return 3.0 * m200c / (800.0 * kPi * r200c * r200c * r200c); }

}  // namespace cosmograd::sim
