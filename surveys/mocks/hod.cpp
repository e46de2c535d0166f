#include "surveys/mocks/hod.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "sim/baryons/halo_profiles.hpp"
#include "sim/core/require.hpp"
#include "surveys/mocks/mock_random.hpp"

namespace cosmograd::surveys {
namespace {

using sim::positive;
using sim::require;

constexpr double kPi = 3.14159265358979323846;
/// Newton's constant [Mpc (km/s)^2 / Msun].
constexpr double kGravity = 4.30091727e-9;

/// Zheng et al. 2007, Table 1 (SDSS, M_r - 5 log h thresholds), as halotools tabulates it.
struct Zheng07Row {
  const char* name;
  HodParams params;
};
const Zheng07Row kZheng07[] = {
    {"zheng07_mr18", {11.35, 0.25, 11.20, 12.40, 0.83}},
    {"zheng07_mr18.5", {11.46, 0.24, 10.59, 12.68, 0.97}},
    {"zheng07_mr19", {11.60, 0.26, 11.49, 12.83, 1.02}},
    {"zheng07_mr19.5", {11.75, 0.28, 11.69, 13.01, 1.06}},
    {"zheng07_mr20", {12.02, 0.26, 11.38, 13.31, 1.06}},
    {"zheng07_mr20.5", {12.30, 0.21, 11.84, 13.58, 1.12}},
    {"zheng07_mr21", {12.79, 0.39, 11.92, 13.94, 1.15}},
    {"zheng07_mr21.5", {13.38, 0.51, 13.94, 13.91, 1.04}},
    {"zheng07_mr22", {14.22, 0.77, 14.00, 14.69, 0.87}},
};

/// x = r / r_s with m(x) = target (m(x) = ln(1 + x) - x / (1 + x) rises monotonically), for
/// 0 <= target <= m(c): bisection in ln x to 1e-12 relative.
double nfw_x_of_mass(double target, double c) {
  double lo = 1e-12 * c, hi = c;
  for (int it = 0; it < 200 && hi - lo > 1e-12 * hi; ++it) {
    const double mid = std::sqrt(lo * hi);
    (sim::nfw_mass_shape(mid) < target ? lo : hi) = mid;
  }
  return std::sqrt(lo * hi);
}

/// A direction uniform on the sphere.
std::array<double, 3> isotropic_direction(MockRng& rng) {
  const double mu = 2.0 * rng.uniform() - 1.0;
  const double phi = 2.0 * kPi * rng.uniform();
  const double s = std::sqrt(1.0 - mu * mu);
  return {s * std::cos(phi), s * std::sin(phi), mu};
}

double wrap(double x, double box_size) {
  if (!(box_size > 0.0)) return x;
  x = std::fmod(x, box_size);
  if (x < 0.0) x += box_size;
  return x >= box_size ? 0.0 : x;
}

}  // namespace

void HodParams::validate() const {
  require(std::isfinite(log_m_min) && log_m_min > 6 && log_m_min < 17, "hod log_m_min", log_m_min,
          "in (6, 17) [log10 Msun/h]");
  require(positive(sigma_log_m) && sigma_log_m <= 3, "hod sigma_log_m", sigma_log_m,
          "in (0, 3] [dex]");
  require(std::isfinite(log_m0) && log_m0 > 6 && log_m0 < 17, "hod log_m0", log_m0,
          "in (6, 17) [log10 Msun/h]");
  require(std::isfinite(log_m1) && log_m1 > 6 && log_m1 < 17, "hod log_m1", log_m1,
          "in (6, 17) [log10 Msun/h]");
  require(positive(alpha) && alpha <= 5, "hod alpha", alpha, "in (0, 5]");
}

HodParams hod_preset(const std::string& name) {
  for (const auto& row : kZheng07)
    if (name == row.name) return row.params;
  std::ostringstream msg;
  msg << "hod model '" << name << "' is not known; choose one of";
  for (const auto& n : hod_preset_names()) msg << ' ' << n;
  msg << " (or give the five parameters)";
  throw std::invalid_argument(msg.str());
}

std::vector<std::string> hod_preset_names() {
  std::vector<std::string> names;
  for (const auto& row : kZheng07) names.emplace_back(row.name);
  return names;
}

double mean_ncen(const HodParams& p, double mass) {
  require(positive(mass), "halo mass [Msun/h]", mass, "finite and > 0");
  return 0.5 * (1.0 + std::erf((std::log10(mass) - p.log_m_min) / p.sigma_log_m));
}

double mean_nsat(const HodParams& p, double mass) {
  require(positive(mass), "halo mass [Msun/h]", mass, "finite and > 0");
  const double m0 = std::pow(10.0, p.log_m0);
  if (mass <= m0) return 0.0;
  const double n = std::pow((mass - m0) / std::pow(10.0, p.log_m1), p.alpha);
  return p.modulate_satellites ? n * mean_ncen(p, mass) : n;
}

HaloMass parse_halo_mass(const std::string& name) {
  if (name == "m200m") return HaloMass::kM200m;
  if (name == "m200c") return HaloMass::kM200c;
  if (name == "fof") return HaloMass::kFof;
  throw std::invalid_argument("halo_mass = '" + name + "': must be m200m, m200c or fof");
}

const char* halo_mass_name(HaloMass m) {
  switch (m) {
    case HaloMass::kM200m:
      return "m200m";
    case HaloMass::kM200c:
      return "m200c";
    case HaloMass::kFof:
      return "fof";
  }
  return "?";
}

double duffy08_concentration(HaloMass definition, double mass, double z) {
  require(positive(mass), "halo mass [Msun/h]", mass, "finite and > 0");
  require(z > -1.0, "z", z, "> -1");
  if (definition == HaloMass::kM200c) return sim::duffy08_c200c(mass, z);
  // Duffy et al. 2008, Table 1: NFW, full sample, Delta = 200 x mean, pivot 2e12 Msun/h.
  return 10.14 * std::pow(mass / 2.0e12, -0.081) * std::pow(1.0 + z, -1.01);
}

std::vector<HodHalo> hod_halos(const sim::HaloCatalog& catalog, HaloMass definition,
                               std::size_t* fallbacks) {
  const double rho_200m = sim::mean_overdensity_density(200.0, catalog.header.Omega_m);
  std::vector<HodHalo> out;
  out.reserve(catalog.size());
  std::size_t fallback_count = 0;
  for (std::size_t i = 0; i < catalog.size(); ++i) {
    const sim::Halo& h = catalog.halos[i];
    HodHalo halo;
    halo.id = static_cast<std::int64_t>(i);
    halo.vel = h.vel;
    const double so_mass = definition == HaloMass::kM200c ? h.m200c : h.m200m;
    const double so_radius = definition == HaloMass::kM200c ? h.r200c : h.r200m;
    if (definition != HaloMass::kFof && so_mass > 0.0 && so_radius > 0.0) {
      halo.mass = so_mass;
      halo.radius = so_radius;
      halo.pos = h.so_pos;
    } else {
      if (definition != HaloMass::kFof) ++fallback_count;
      halo.mass = h.mass;
      halo.radius = std::cbrt(3.0 * h.mass / (4.0 * kPi * rho_200m));
      halo.pos = h.pos;
    }
    out.push_back(halo);
  }
  if (fallbacks) *fallbacks = fallback_count;
  return out;
}

std::vector<HodGalaxy> populate_hod(const std::vector<HodHalo>& halos, const HodOptions& options,
                                    double a, double box_size) {
  options.params.validate();
  require(positive(a) && a <= 2.0, "scale factor a", a, "in (0, 2]");
  require(positive(options.concentration_scale), "hod concentration_scale",
          options.concentration_scale, "finite and > 0");
  require(box_size >= 0.0 && std::isfinite(box_size), "box_size [Mpc/h]", box_size, ">= 0");
  std::vector<HodGalaxy> galaxies;
  for (const HodHalo& halo : halos) {
    require(positive(halo.mass), "halo " + std::to_string(halo.id) + " mass [Msun/h]", halo.mass,
            "finite and > 0");
    require(positive(halo.radius), "halo " + std::to_string(halo.id) + " radius [Mpc/h]",
            halo.radius, "finite and > 0");
    const auto id = static_cast<std::uint64_t>(halo.id);
    HodGalaxy base;
    base.halo_id = halo.id;
    base.halo_mass = halo.mass;
    base.vel = halo.vel;
    for (int k = 0; k < 3; ++k) base.pos[k] = wrap(halo.pos[k], box_size);

    MockRng cen_rng(options.seed, MockStream::kHodCentral, id);
    if (cen_rng.uniform() < mean_ncen(options.params, halo.mass)) {
      HodGalaxy central = base;
      central.central = true;
      galaxies.push_back(central);
    }

    MockRng rng(options.seed, MockStream::kHodSatellite, id);
    const std::int64_t n_sat = rng.poisson(mean_nsat(options.params, halo.mass));
    if (n_sat == 0) continue;
    const double a_halo = halo.a > 0.0 ? halo.a : a;
    const double c = options.concentration_scale *
                     duffy08_concentration(options.mass_definition, halo.mass, 1.0 / a_halo - 1.0);
    const double m_c = sim::nfw_mass_shape(c);
    // 1-D dispersion of an isothermal sphere of the halo's mass and (physical) radius.
    const double sigma = options.velocity == SatelliteVelocity::kVirial
                             ? std::sqrt(kGravity * halo.mass / (2.0 * a_halo * halo.radius))
                             : 0.0;
    for (std::int64_t s = 0; s < n_sat; ++s) {
      HodGalaxy sat = base;
      const double x = nfw_x_of_mass(rng.uniform() * m_c, c);
      sat.r_over_rhalo = x / c;
      const auto dir = isotropic_direction(rng);
      for (int k = 0; k < 3; ++k) {
        sat.pos[k] = wrap(halo.pos[k] + dir[k] * sat.r_over_rhalo * halo.radius, box_size);
        sat.vel[k] = halo.vel[k] + sigma * rng.normal();
      }
      galaxies.push_back(sat);
    }
  }
  return galaxies;
}

double redshift_space_coordinate(double x, double v_axis, const sim::Cosmology& cosmo, double a,
                                 double box_size) {
  require(positive(a), "scale factor a", a, "> 0");
  return wrap(x + v_axis / (100.0 * a * cosmo.E(a)), box_size);
}

}  // namespace cosmograd::surveys
