#include "surveys/images/morphology.hpp"

#include <algorithm>
#include <cmath>

#include "sim/core/require.hpp"
#include "surveys/mocks/mock_random.hpp"
#include "surveys/mocks/shear_catalog.hpp"

namespace cosmograd::surveys {
namespace {

constexpr double kArcsecPerRadian = 206264.80624709636;

struct SizeMass {
  double log_a, alpha, beta, sigma;
};
constexpr SizeMass kEarly{0.60, 0.75, -1.48, 0.10};  // van der Wel et al. 2014, Table 1
constexpr SizeMass kLate{0.86, 0.25, -0.75, 0.16};

}  // namespace

double vdw14_median_re_kpc(double stellar_mass, bool quenched, double z) {
  sim::require(sim::positive(stellar_mass), "stellar mass [Msun]", stellar_mass, "> 0");
  sim::require(z >= 0 && std::isfinite(z), "z", z, ">= 0");
  const SizeMass& s = quenched ? kEarly : kLate;
  return std::pow(10.0, s.log_a + s.alpha * std::log10(stellar_mass / 5e10) +
                            s.beta * std::log10((1.0 + z) / 1.25));
}

Morphology draw_morphology(double stellar_mass, bool quenched, double z, double d_a_mpc,
                           bool have_shape, double e1, double e2, std::uint64_t seed,
                           std::uint64_t galaxy_id) {
  sim::require(sim::positive(d_a_mpc), "angular-diameter distance [Mpc]", d_a_mpc, "> 0");
  MockRng rng(seed, MockStream::kImageScene, galaxy_id);
  const SizeMass& s = quenched ? kEarly : kLate;
  Morphology m;
  m.re_kpc =
      vdw14_median_re_kpc(stellar_mass, quenched, z) * std::pow(10.0, s.sigma * rng.normal());
  m.re_arcsec = m.re_kpc / (1000.0 * d_a_mpc) * kArcsecPerRadian;
  m.bulge_fraction = std::clamp((quenched ? 0.7 : 0.1) + 0.2 * (rng.uniform() - 0.5), 0.0, 1.0);
  if (have_shape) {
    m.e1 = e1;
    m.e2 = e2;
  } else {
    const Ellipticity e = draw_intrinsic_ellipticity(0.26, rng);
    m.e1 = e.e1;
    m.e2 = e.e2;
  }
  return m;
}

}  // namespace cosmograd::surveys
