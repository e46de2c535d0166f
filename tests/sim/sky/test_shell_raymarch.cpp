// HEALPix shells ray-marched through a density mesh (sim/sky/shell_raymarch.hpp): exact on a
// uniform density, its vjp the transpose of the forward, and in a lightcone run the same shell
// masses and maps as the per-crossing deposit.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "sim/pm/adjoint.hpp"
#include "sim/sky/lightcone.hpp"
#include "sim/sky/shell_raymarch.hpp"

namespace cg = cosmograd::sim;

namespace {

std::vector<cg::HealpixMap> empty_shells(int nside, std::size_t shells) {
  return std::vector<cg::HealpixMap>(shells, cg::HealpixMap::filled(nside));
}

double dot(const std::vector<cg::HealpixMap>& a, const std::vector<cg::HealpixMap>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    for (std::size_t p = 0; p < a[i].values.size(); ++p) s += a[i].values[p] * b[i].values[p];
  }
  return s;
}

}  // namespace

TEST(ShellRaymarch, UniformDensityGivesTheShellVolumeInEveryPixel) {
  // 3 particles per cell of a 16^3 mesh in a 64 Mpc/h box, shells to 700 Mpc/h (the box
  // replicated ~11 times along each ray), nside 8: every pixel of shell s holds
  // nbar (hi^3 - lo^3) / 3 x 4 pi / npix, on every level of the pyramid (float storage: 1e-6).
  const int n = 16;
  const double box = 64;
  const std::vector<double> counts(n * n * n, 3.0);
  const std::vector<double> edges{0, 50, 300, 700};
  const cg::DensityPyramid pyr = cg::DensityPyramid::from_counts(counts, n, box, 30.0);
  ASSERT_GE(pyr.n.size(), 3u);
  auto shells = empty_shells(8, 3);
  const std::size_t samples =
      cg::raymarch_healpix_shells(pyr, {10, 20, 30}, edges, 0, 700, {}, shells);
  EXPECT_GT(samples, 0u);
  const double nbar = 3.0 * n * n * n / (box * box * box);
  for (int s = 0; s < 3; ++s) {
    const double hi = edges[s + 1], lo = edges[s];
    const double expect = nbar * (hi * hi * hi - lo * lo * lo) / 3 * 4 * M_PI / shells[s].pixels();
    for (double v : shells[s].values) EXPECT_NEAR(v / expect, 1.0, 1e-6);
  }
}

TEST(ShellRaymarch, VjpIsTheTransposeOfTheForward) {
  // Both are linear in the counts: <c, F(counts)> = <F^T c, counts> for random counts and
  // random shell cotangents (the pyramid stores float: 1e-6 relative).
  const int n = 16;
  const double box = 50;
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(0, 2);
  std::vector<double> counts(n * n * n);
  for (double& c : counts) c = u(rng);
  const std::vector<double> edges{20, 90, 240};
  const cg::DensityPyramid pyr = cg::DensityPyramid::from_counts(counts, n, box, 40.0);
  ASSERT_GE(pyr.n.size(), 2u);
  cg::RaymarchOptions o;
  o.step_factor = 1.5;
  auto shells = empty_shells(4, 2);
  cg::raymarch_healpix_shells(pyr, {5, 7, 11}, edges, 30, 200, o, shells);
  auto cot = empty_shells(4, 2);
  for (auto& m : cot) {
    for (double& v : m.values) v = u(rng) - 1;
  }
  std::vector<std::vector<double>> level_cot;
  for (const auto& r : pyr.rho) level_cot.emplace_back(r.size(), 0.0);
  cg::raymarch_healpix_shells_vjp(pyr, {5, 7, 11}, edges, 30, 200, o, cot, level_cot);
  const std::vector<double> counts_cot = pyr.counts_vjp(level_cot);
  const double lhs = dot(cot, shells);
  const double rhs = std::inner_product(counts.begin(), counts.end(), counts_cot.begin(), 0.0);
  EXPECT_NEAR(lhs / rhs, 1.0, 1e-6) << lhs << " vs " << rhs;
}

TEST(ShellRaymarch, LightconeRunMatchesTheCrossingDeposit) {
  // A 32^3 run of a 64 Mpc/h box (10 steps from a = 0.1), shells of 100 Mpc/h to 300 Mpc/h
  // at nside 16 around the box centre: the ray-marched shells (density at the steps' grid
  // points) against the exact crossings deposited to the nearest pixel. Shell masses: within
  // 1%, 3% in the innermost shell, where one ray per 3.7 deg pixel samples the density along
  // ~5e4 points in all (measured: 2.0% there, < 1% beyond); maps: the crossings carry Poisson
  // noise of ~3% per pixel in the outer shell (about 1000 particles), against density
  // contrasts of order 0.3, so they correlate with r > 0.9.
  cg::SimSpec spec;
  spec.particles = 32;
  spec.mesh = 64;
  spec.box_size = 64;
  spec.steps = 10;
  spec.threads = 2;
  spec.fft_planning = cg::FftPlanning::estimate;
  cg::LightconeSpec ls;
  ls.observer = {32, 32, 32};
  ls.shell_edges = {0, 100, 200, 300};
  ls.nside = 16;
  cg::LightconeSpec lm = ls;
  lm.healpix_mesh = 32;
  cg::DifferentiableSim<float> sim(spec);
  const cg::Cosmology cosmo(spec.cosmology);
  cg::Lightcone<float> crossing(ls, spec.box_size, spec.particles);
  cg::Lightcone<float> rays(lm, spec.box_size, spec.particles);
  crossing.bind(cosmo, nullptr, sim.schedule());
  rays.bind(cosmo, nullptr, sim.schedule());
  sim.forward(sim.white_noise(), {&crossing, &rays});
  EXPECT_GT(rays.ray_samples(), 0u);
  for (int s = 0; s < 3; ++s) {
    const auto& a = crossing.healpix_shells()[s].values;
    const auto& b = rays.healpix_shells()[s].values;
    const double sa = std::accumulate(a.begin(), a.end(), 0.0);
    const double sb = std::accumulate(b.begin(), b.end(), 0.0);
    const double mean = rays.mean_particles_per_sr(s) * 4 * M_PI;
    const double tol = s == 0 ? 0.03 : 0.01;
    EXPECT_NEAR(sb / mean, 1.0, tol) << "shell " << s;
    EXPECT_NEAR(sb / sa, 1.0, tol) << "shell " << s;
    if (s == 2) {
      const double ma = sa / a.size(), mb = sb / b.size();
      double ab = 0, aa = 0, bb = 0;
      for (std::size_t p = 0; p < a.size(); ++p) {
        ab += (a[p] - ma) * (b[p] - mb);
        aa += (a[p] - ma) * (a[p] - ma);
        bb += (b[p] - mb) * (b[p] - mb);
      }
      EXPECT_GT(ab / std::sqrt(aa * bb), 0.9);
    }
  }
}

TEST(ShellRaymarch, BadSettingsAreRefused) {
  cg::LightconeSpec ls;
  ls.shell_edges = {0, 100};
  ls.nside = 8;
  ls.healpix_mesh = 4;
  EXPECT_THROW(ls.validate(64), std::invalid_argument);
  ls.healpix_mesh = 32;
  ls.healpix_bilinear = true;
  EXPECT_THROW(ls.validate(64), std::invalid_argument);
  ls.healpix_bilinear = false;
  ls.raymarch_step = 10;
  EXPECT_THROW(ls.validate(64), std::invalid_argument);
  EXPECT_THROW(cg::DensityPyramid::from_counts(std::vector<double>(10), 4, 64, 10),
               std::invalid_argument);
}
