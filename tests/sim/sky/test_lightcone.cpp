// The on-the-fly lightcone: chi along a drift, the crossing solve, every replica's particles
// crossing exactly once into the right shell, and the gradient of a Born kappa loss on the
// flat-sky maps against finite differences (white noise and cosmology).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <tuple>

#include "sim/sky/lightcone.hpp"
#include "sim/sky/lightcone_gradcheck.hpp"

namespace cg = cosmograd::sim;

namespace {

/// The scale factor where D1 has gone the fraction u of the way from a0 to a1 (bisection).
double a_at_fraction(const cg::Cosmology& c, double a0, double a1, double u) {
  const double target = c.D1(a0) + u * (c.D1(a1) - c.D1(a0));
  double lo = a0, hi = a1;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (c.D1(mid) < target ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

/// Runs a lightcone over a fixed particle set through every drift of `s` (particles moved by
/// the drift factor times their momentum, as the stepper does).
template <class T>
void sweep(cg::Lightcone<T>& lc, const cg::StepSchedule& s, cg::Particles<T>& p) {
  lc.on_state(cg::StepInfo{0, s.steps(), s.a(0)}, p);
  for (int i = 0; i < s.steps(); ++i) {
    const cg::StepFactors& f = s[i];
    for (std::size_t k = 0; k < p.disp.size(); ++k) p.disp[k] += f.drift.v * p.mom[k];
    lc.on_drift(cg::DriftInfo{i, f.a0, f.a1, f.ah, f.drift.v}, p);
  }
  lc.on_state(cg::StepInfo{s.steps(), s.steps(), 1.0}, p);
}

/// A small double-precision run of a 64 Mpc/h box for the gradient checks (mesh 2n).
cg::SimSpec gradient_run(int particles, std::vector<double> a_list) {
  cg::SimSpec spec;
  spec.cosmology = cg::planck2015();
  spec.particles = particles;
  spec.mesh = 2 * particles;
  spec.box_size = 64;
  spec.a_list = std::move(a_list);
  spec.threads = 1;
  spec.double_precision = true;
  spec.fft_planning = cg::FftPlanning::estimate;
  return spec;
}

std::vector<double> linear_grid(double a0, double a1, int steps) {
  std::vector<double> g;
  for (int i = 0; i <= steps; ++i) g.push_back(a0 + (a1 - a0) * i / steps);
  return g;
}

}  // namespace

TEST(Lightcone, HermiteChiAlongADriftMatchesTheExactDistance) {
  // chi(u) interpolated from both ends of the quickstart's coarsest late step (a 0.55 ->
  // 0.64) and of an early one (0.1 -> 0.19), against chi(a(u)) solved from D1.
  const cg::Cosmology c(cg::planck2015());
  for (auto [a0, a1] : {std::pair{0.55, 0.64}, std::pair{0.1, 0.19}, std::pair{0.91, 1.0}}) {
    const cg::DriftChi<double> h = cg::drift_chi(c, a0, a1);
    EXPECT_NEAR(h(0.0), c.chi(a0), 1e-9);
    EXPECT_NEAR(h(1.0), c.chi(a1), 1e-9);
    for (double u : {0.1, 0.25, 0.5, 0.75, 0.9}) {
      const double exact = c.chi(a_at_fraction(c, a0, a1, u));
      // 0.2% of the drift's extent in chi (1.6 Mpc/h over the early drift's 1100 Mpc/h;
      // 0.02 Mpc/h late).
      EXPECT_NEAR(h(u), exact, 2e-3 * (h.chi0 - h.chi1)) << "a0 " << a0 << " u " << u;
      const double a = cg::drift_scale_factor(c, a0, a1)(u);
      EXPECT_NEAR(a, a_at_fraction(c, a0, a1, u), 2e-3 * (a1 - a0)) << "a0 " << a0 << " u " << u;
    }
  }
}

TEST(Lightcone, CrossingSolvesTheLightconeEquation) {
  const cg::Cosmology c(cg::planck2015());
  const cg::DriftChi<double> h = cg::drift_chi(c, 0.7, 0.8);
  const double chi_mid = h(0.4);
  // A particle moving radially outwards at 3 Mpc/h per drift, placed to cross near u = 0.4.
  const std::array<double, 3> dir{0.6, 0.0, 0.8};
  std::array<double, 3> q{}, v{};
  for (int k = 0; k < 3; ++k) {
    q[k] = (chi_mid - 1.2) * dir[k];
    v[k] = 3.0 * dir[k];
  }
  cg::Crossing x;
  ASSERT_TRUE(cg::find_crossing(q, v, h, x));
  double r = 0;
  for (int k = 0; k < 3; ++k) r += x.r[k] * x.r[k];
  EXPECT_NEAR(std::sqrt(r), h(x.u), 1e-8);
  EXPECT_NEAR(x.chi, h(x.u), 1e-8);
  EXPECT_GT(x.dF_du, 0);
  // A particle outside the lightcone at both ends does not cross in this drift.
  std::array<double, 3> far{0, 0, h.chi0 + 10};
  EXPECT_FALSE(cg::find_crossing(far, v, h, x));
}

TEST(Lightcone, EveryReplicaOfALatticeCrossesOnceIntoTheRightShell) {
  // Zero displacements and momenta: every lattice point of every replica with distance d in
  // [0, 300) Mpc/h crosses in exactly one drift, lands in the shell holding d, and the shell
  // masses add up to the lattice points inside each shell (counted here by brute force).
  const int n = 8;
  const double L = 100;
  cg::LightconeSpec spec;
  spec.observer = {30, 40, 50};
  spec.shell_edges = {0, 80, 160, 240, 300};
  spec.nside = 8;
  spec.particle_fraction = 1.0;
  spec.cells = 4;
  const cg::Cosmology c(cg::planck2015());
  const cg::StepSchedule s(c, linear_grid(0.1, 1.0, 10));
  cg::Particles<double> p = cg::Particles<double>::lattice_grid(n, L);
  cg::Lightcone<double> lc(spec, L, n);
  lc.bind(c, nullptr, s);
  sweep(lc, s, p);

  std::vector<double> expected(spec.shell_edges.size() - 1, 0.0);
  std::set<std::tuple<std::uint64_t, int, int, int>> inside;
  for (int i = -4; i <= 4; ++i)
    for (int j = -4; j <= 4; ++j)
      for (int k = -4; k <= 4; ++k)
        for (std::size_t id = 0; id < p.size(); ++id) {
          const int nn[3] = {i, j, k};
          double d2 = 0;
          for (int dim = 0; dim < 3; ++dim) {
            const double x = p.lattice(id, dim) + nn[dim] * L - spec.observer[dim];
            d2 += x * x;
          }
          const double d = std::sqrt(d2);
          if (d >= 300) continue;
          inside.insert({id, i, j, k});
          for (std::size_t sh = 0; sh + 1 < spec.shell_edges.size(); ++sh) {
            if (d >= spec.shell_edges[sh] && d < spec.shell_edges[sh + 1]) expected[sh] += 1;
          }
        }
  ASSERT_GT(inside.size(), 10000u);
  // Bilinear deposits conserve the mass too.
  cg::LightconeSpec smooth = spec;
  smooth.healpix_bilinear = true;
  smooth.particle_fraction = 0;
  cg::Lightcone<double> lc_smooth(smooth, L, n);
  lc_smooth.bind(c, nullptr, s);
  cg::Particles<double> q = cg::Particles<double>::lattice_grid(n, L);
  sweep(lc_smooth, s, q);
  for (std::size_t sh = 0; sh < expected.size(); ++sh) {
    double total = 0, smooth_total = 0;
    for (double v : lc.healpix_shells()[sh].values) total += v;
    for (double v : lc_smooth.healpix_shells()[sh].values) smooth_total += v;
    EXPECT_EQ(total, expected[sh]) << "shell " << sh;
    EXPECT_NEAR(smooth_total, expected[sh], 1e-9 * expected[sh]) << "shell " << sh;
  }
  // The catalogue: each (particle, replica) once, at its lattice distance, in the right drift.
  const cg::LightconeParticles& cat = lc.particles();
  EXPECT_EQ(cat.size(), inside.size());
  std::set<std::tuple<std::uint64_t, int, int, int>> seen;
  for (std::size_t e = 0; e < cat.size(); ++e) {
    const cg::Replica& r = lc.replicas()[cat.replica[e]];
    EXPECT_TRUE(seen.insert({cat.id[e], r.n[0], r.n[1], r.n[2]}).second) << "crossed twice";
    double d2 = 0;
    for (int dim = 0; dim < 3; ++dim) {
      const double x = p.lattice(cat.id[e], dim) + r.n[dim] * L - spec.observer[dim];
      EXPECT_NEAR(cat.pos[3 * e + dim], x, 1e-9);
      d2 += x * x;
    }
    // The crossing time: chi(a) = d to the Hermite interpolation's accuracy.
    EXPECT_NEAR(c.chi(cat.a[e]), std::sqrt(d2), 0.05);
  }
  EXPECT_EQ(seen, inside);
}

TEST(Lightcone, MovingParticlesCrossAtMostOncePerReplica) {
  // A lattice streaming at a constant momentum: the crossing set of consecutive drifts is
  // disjoint, so no (particle, replica) is recorded twice, and the count matches the
  // stationary one to the particles that stream across the outer edge.
  const int n = 8;
  const double L = 100;
  cg::LightconeSpec spec;
  spec.observer = {50, 50, 50};
  spec.shell_edges = {0, 150, 250};
  spec.particle_fraction = 1.0;
  const cg::Cosmology c(cg::planck2015());
  const cg::StepSchedule s(c, linear_grid(0.1, 1.0, 6));
  cg::Particles<double> moving = cg::Particles<double>::lattice_grid(n, L);
  for (std::size_t j = 0; j < moving.size(); ++j) {
    moving.mom[3 * j] = 2.0;
    moving.mom[3 * j + 2] = -1.5;
  }
  cg::Lightcone<double> lc(spec, L, n);
  lc.bind(c, nullptr, s);
  sweep(lc, s, moving);
  const cg::LightconeParticles& cat = lc.particles();
  std::set<std::tuple<std::uint64_t, int, int, int>> seen;
  for (std::size_t e = 0; e < cat.size(); ++e) {
    const cg::Replica& r = lc.replicas()[cat.replica[e]];
    EXPECT_TRUE(seen.insert({cat.id[e], r.n[0], r.n[1], r.n[2]}).second) << "crossed twice";
  }
  const double expected = 4.0 / 3.0 * M_PI * std::pow(250.0, 3) * std::pow(n / L, 3);
  EXPECT_NEAR(static_cast<double>(cat.size()), expected, 0.03 * expected);
}

TEST(Lightcone, FlatShellsOfALatticeHaveTheMeanDensity) {
  // Cloud-in-cell in the tangent plane with the pixel solid angles: a uniform lattice gives
  // shell overdensities near zero (lattice discreteness only) and kappa near zero.
  const int n = 16;
  const double L = 64;
  cg::LightconeSpec spec;
  spec.observer = {10, 20, 5};
  spec.shell_edges = {100, 200, 300, 400};
  spec.flat_field_deg = 12;
  spec.flat_pixels = 8;
  spec.seed = 3;
  const cg::Cosmology c(cg::planck2015());
  const cg::StepSchedule s(c, linear_grid(0.1, 1.0, 8));
  cg::Particles<double> p = cg::Particles<double>::lattice_grid(n, L);
  cg::Lightcone<double> lc(spec, L, n);
  lc.bind(c, nullptr, s);
  sweep(lc, s, p);
  for (int sh = 0; sh < 3; ++sh) {
    const cg::FlatMap& m = lc.flat_shells()[sh];
    double count = 0, mean = 0;
    for (int iy = 0; iy < m.n; ++iy)
      for (int ix = 0; ix < m.n; ++ix) {
        count += m.values[iy * m.n + ix];
        mean += lc.mean_particles_per_sr(sh) * m.pixel_solid_angle(ix, iy);
      }
    EXPECT_NEAR(count / mean, 1.0, 0.03) << "shell " << sh;
  }
}

TEST(Lightcone, FlatKappaLossGradientMatchesFiniteDifferences) {
  // J = sum over pixels of (kappa - kappa_0)^2 / 2, kappa the Born convergence of a source plane
  // at z = 0.35 from flat shells to 800 Mpc/h, through a 16^3 run (double, 6 steps): the
  // adjoint's dJ/dw along random directions and dJ/dtheta for all seven parameters against
  // central differences. Small steps: a cloud-in-cell kink inside the interval biases the
  // difference; unshuffled replicas: a shuffled replica cuts the box, and a particle crossing
  // a cut jumps across the field.
  const cg::SimSpec spec = gradient_run(16, {0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 1.0});
  cg::LightconeSpec ls;
  ls.observer = {32, 32, 32};
  for (int i = 0; i <= 8; ++i) ls.shell_edges.push_back(100.0 * i);
  ls.flat_field_deg = 15;
  ls.flat_pixels = 12;
  ls.shuffle = false;
  // Steps of 1e-7: at 1e-6 a kink within the interval gave errors up to 9e-5 (sigma8), at 1e-8
  // rounding gave 1e-5 on the smallest derivative (wa); at 1e-7 the worst is 4.5e-6.
  const cg::GradcheckReport r = cg::lightcone_gradient_check<double>(
      spec, ls, cg::SourceDistribution::plane(0.35), cg::GradientMode::adjoint, 2, 1e-7, 1e-7);
  EXPECT_LT(r.noise_error, 1e-6);
  for (int i = 0; i < cg::kNumCosmoParams; ++i) {
    EXPECT_LT(r.param_error[i], 1e-5) << cg::cosmo_param_name(static_cast<cg::CosmoParam>(i))
                                      << ": fd " << r.fd[i] << " adjoint " << r.adjoint[i];
  }
}

TEST(Lightcone, HealpixKappaLossGradientMatchesFiniteDifferences) {
  // The same loss on a full-sky HEALPix shell (nside 8, bilinear deposits) from 10 to 300
  // Mpc/h, source plane at z = 0.15, 8^3 particles: the adjoint against central differences
  // for the noise and all seven parameters. To 3e-4 only (seen: 9e-5): the bilinear weights have
  // kinks at every pixel-quartet boundary, a full sky holds ~1e5 crossings, and a particle crossing
  // a shell edge moves its whole mass (a jump of J), so central differences pick up kinks and, with
  // more particles or bigger steps, jumps; the flat test above shows the same chain to 1e-6.
  const cg::SimSpec spec = gradient_run(8, {0.1, 0.3, 0.5, 0.7, 0.85, 0.95, 1.0});
  cg::LightconeSpec ls;
  ls.observer = {32, 32, 32};
  ls.shell_edges = {10, 300};
  ls.nside = 8;
  ls.healpix_bilinear = true;
  const cg::GradcheckReport r = cg::lightcone_gradient_check<double>(
      spec, ls, cg::SourceDistribution::plane(0.15), cg::GradientMode::adjoint, 2, 1e-6, 1e-6);
  EXPECT_LT(r.noise_error, 3e-4);
  for (int i = 0; i < cg::kNumCosmoParams; ++i) {
    EXPECT_LT(r.param_error[i], 3e-4) << cg::cosmo_param_name(static_cast<cg::CosmoParam>(i))
                                      << ": fd " << r.fd[i] << " adjoint " << r.adjoint[i];
  }
  std::printf("noise %.2e, parameters", r.noise_error);
  for (double e : r.param_error) std::printf(" %.2e", e);
  std::printf("\n");
}
