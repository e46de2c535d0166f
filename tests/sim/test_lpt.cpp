#include <gtest/gtest.h>

#include <cmath>

#include "sim/pm/lpt.hpp"

namespace cg = cosmograd::sim;

namespace {

/// Fourier modes (sim/pm/lpt.hpp normalisation) of a real-space field f(x, y, z) on the n^3
/// particle grid of a box of side L.
template <class F>
cg::Field<double> modes_of(int n, double box, const cg::Fft<double>& fft, F f) {
  cg::Field<double> m{cg::Decomposition(n)};
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y)
      for (int z = 0; z < n; ++z) m.at(x, y, z) = f(x * box / n, y * box / n, z * box / n);
  fft.forward(m);
  std::complex<double>* c = m.complex();
  for (std::size_t i = 0; i < m.decomp().local_complex_size(); ++i) c[i] /= double(n) * n * n;
  return m;
}

/// Einstein-de Sitter: D1 = a, f1 = 1, D2 = -3/7 a^2, f2 = 2, E = a^-1.5.
cg::Cosmology eds() {
  cg::CosmologyParams p = cg::planck2015();
  p.Omega_m = 1.0;
  p.Omega_b = 0.05;
  return cg::Cosmology(p);
}

}  // namespace

TEST(Lpt, ZeldovichPlaneWave) {
  const int n = 16;
  const double box = 64, amp = 0.02, k = 2 * M_PI / box * 3, a = 0.5;
  const cg::Fft<double> fft(cg::Decomposition(n), 1);
  const auto m =
      modes_of(n, box, fft, [&](double x, double, double) { return amp * std::cos(k * x); });
  const cg::Cosmology c = eds();
  const auto p = cg::lpt_particles(m, box, 1, c, a, fft);
  const double d1 = c.D1_norm(a);
  for (std::size_t j = 0; j < p.size(); ++j) {
    // div Psi = -delta  =>  Psi_x = -(A/k) sin(k x)
    const double psi = -amp / k * std::sin(k * p.lattice(j, 0));
    EXPECT_NEAR(p.disp[3 * j], d1 * psi, 1e-12);
    EXPECT_NEAR(p.disp[3 * j + 1], 0.0, 1e-12);
    // p = a^2 E D1 f1 Psi (sim/core/units.hpp)
    EXPECT_NEAR(p.mom[3 * j], a * a * c.E(a) * d1 * c.f1(a) * psi, 1e-12);
  }
}

TEST(Lpt, SecondOrderOfTwoCrossedWaves) {
  // delta = A cos(kx) + B cos(ky): phi_xx = A cos kx, phi_yy = B cos ky, phi_xy = 0, so
  // delta2 = A B cos(kx) cos(ky) and Psi2_x = d/dx phi2 = A B sin(kx) cos(ky) / (2k).
  const int n = 16;
  const double box = 32, A = 0.03, B = 0.02, k = 2 * M_PI / box * 2, a = 0.7;
  const cg::Fft<double> fft(cg::Decomposition(n), 1);
  const auto m = modes_of(n, box, fft, [&](double x, double y, double) {
    return A * std::cos(k * x) + B * std::cos(k * y);
  });
  const cg::Cosmology c = eds();
  const auto p1 = cg::lpt_particles(m, box, 1, c, a, fft);
  const auto p2 = cg::lpt_particles(m, box, 2, c, a, fft);
  const double d2 = c.D2_norm(a);
  EXPECT_NEAR(d2, -3.0 / 7.0 * a * a, 1e-6);
  for (std::size_t j = 0; j < p2.size(); ++j) {
    const double x = p2.lattice(j, 0), y = p2.lattice(j, 1);
    const double psi2x = A * B * std::sin(k * x) * std::cos(k * y) / (2 * k);
    const double psi2y = A * B * std::cos(k * x) * std::sin(k * y) / (2 * k);
    EXPECT_NEAR(p2.disp[3 * j] - p1.disp[3 * j], d2 * psi2x, 1e-12);
    EXPECT_NEAR(p2.disp[3 * j + 1] - p1.disp[3 * j + 1], d2 * psi2y, 1e-12);
    EXPECT_NEAR(p2.disp[3 * j + 2], 0.0, 1e-12);
    // second-order momentum: a^2 E D2 f2 Psi2 with f2 = 2 in EdS
    EXPECT_NEAR(p2.mom[3 * j] - p1.mom[3 * j], a * a * c.E(a) * d2 * c.f2(a) * psi2x, 1e-12);
  }
}

TEST(Lpt, DisplacementsScaleWithGrowth) {
  // The same modes at two epochs: disp(a) = D1(a) Psi1 + D2(a) Psi2 exactly.
  const int n = 16;
  const double box = 100;
  const cg::Fft<double> fft(cg::Decomposition(n), 1);
  const auto m = modes_of(n, box, fft, [&](double x, double y, double z) {
    return 0.05 * std::sin(2 * M_PI * (x + 2 * y) / box) * std::cos(2 * M_PI * z / box) +
           0.03 * std::cos(2 * M_PI * 3 * y / box);
  });
  const cg::Cosmology c(cg::planck2015());
  const double a1 = 0.05, a2 = 0.4;
  const auto lo = cg::lpt_particles(m, box, 2, c, a1, fft);
  const auto hi = cg::lpt_particles(m, box, 2, c, a2, fft);
  const auto first = cg::lpt_particles(m, box, 1, c, a1, fft);
  for (std::size_t i = 0; i < lo.disp.size(); ++i) {
    const double psi1 = first.disp[i] / c.D1_norm(a1);
    const double psi2 = (lo.disp[i] - first.disp[i]) / c.D2_norm(a1);
    EXPECT_NEAR(hi.disp[i], c.D1_norm(a2) * psi1 + c.D2_norm(a2) * psi2, 1e-11);
  }
}
