// Born convergence from shells: the weights are the integrated lensing kernel, a uniform
// shell gives kappa = 0, a single overdense shell gives w delta, and the vjp matches finite
// differences.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "../gradcheck.hpp"
#include "sim/core/units.hpp"
#include "sim/sky/born.hpp"

namespace cg = cosmograd::sim;

TEST(Born, WeightsIntegrateTheLensingKernel) {
  // For a source plane the kernel is (3/2) Om (H0/c)^2 chi (chi_s - chi) / chi_s / a(chi);
  // a fine Simpson rule over each shell with a(chi) from bisection is the reference.
  const cg::Cosmology c(cg::planck2015());
  const cg::SourceDistribution src = cg::SourceDistribution::plane(1.0);
  const double chi_s = c.chi(0.5);
  const std::vector<double> edges{0, 300, 700, 1500, 2200};
  const std::vector<double> w = cg::born_weights(c, src, edges);
  auto a_of = [&](double chi) {
    double lo = 0.3, hi = 1.0;
    for (int i = 0; i < 100; ++i) {
      const double mid = 0.5 * (lo + hi);
      (c.chi(mid) > chi ? lo : hi) = mid;
    }
    return 0.5 * (lo + hi);
  };
  const double pre = 1.5 * c.params().Omega_m / std::pow(cg::units::hubble_distance, 2);
  for (std::size_t s = 0; s + 1 < edges.size(); ++s) {
    const int m = 400;
    const double h = (edges[s + 1] - edges[s]) / m;
    double sum = 0;
    for (int i = 0; i <= m; ++i) {
      const double chi = edges[s] + i * h;
      const double f = pre * chi * (chi_s - chi) / chi_s / a_of(chi);
      sum += f * (i == 0 || i == m ? 1 : (i % 2 ? 4 : 2));
    }
    EXPECT_NEAR(w[s], sum * h / 3, 1e-6 * std::abs(w[s])) << "shell " << s;
  }
}

TEST(Born, UniformShellsGiveZeroAndOneShellGivesItsWeight) {
  const int n = 6;
  std::vector<cg::FlatMap> shells(2, cg::FlatMap::filled(n, 5.0));
  const std::vector<double> mean{1000.0, 3000.0}, w{0.01, 0.02};
  for (int s = 0; s < 2; ++s)
    for (int iy = 0; iy < n; ++iy)
      for (int ix = 0; ix < n; ++ix)
        shells[s].values[iy * n + ix] = mean[s] * shells[s].pixel_solid_angle(ix, iy);
  cg::FlatMap k = cg::born_kappa(shells, mean, w);
  for (double v : k.values) EXPECT_NEAR(v, 0.0, 1e-15);
  shells[1].values[7] *= 1.5;  // delta = 0.5 in one pixel of the second shell
  k = cg::born_kappa(shells, mean, w);
  EXPECT_NEAR(k.values[7], 0.02 * 0.5, 1e-15);

  std::vector<cg::HealpixMap> hp(1, cg::HealpixMap::filled(2, 250.0 / (48 / (4 * M_PI))));
  const cg::HealpixMap kh = cg::born_kappa(hp, {250.0 * 4 * M_PI / (4 * M_PI)}, {0.3});
  for (double v : kh.values)
    EXPECT_NEAR(v, 0.3 * (250.0 / (48 / (4 * M_PI)) / (250.0 * 4 * M_PI / 48) - 1), 1e-12);
}

TEST(Born, FlatKappaVjpMatchesFiniteDifferences) {
  const int n = 5, shells = 3;
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(50, 150);
  std::vector<cg::FlatMap> maps(shells, cg::FlatMap::filled(n, 4.0));
  std::vector<double> x;
  for (auto& m : maps)
    for (double& v : m.values) x.push_back(v = u(rng));
  const std::vector<double> mean{4e6, 8e6, 1.2e7}, w{0.1, 0.2, 0.3};
  auto unpack = [&](const std::vector<double>& v) {
    std::vector<cg::FlatMap> m = maps;
    std::size_t i = 0;
    for (auto& s : m)
      for (double& e : s.values) e = v[i++];
    return m;
  };
  auto f = [&](const std::vector<double>& v) { return cg::born_kappa(unpack(v), mean, w).values; };
  auto vjp = [&](const std::vector<double>& v, const std::vector<double>& cot) {
    cg::FlatMap c = cg::FlatMap::filled(n, 4.0);
    c.values = cot;
    std::vector<double> out;
    for (const auto& s : cg::born_kappa_vjp(c, unpack(v), mean, w))
      out.insert(out.end(), s.values.begin(), s.values.end());
    return out;
  };
  EXPECT_LT(cosmograd::testing::check_vjp(f, vjp, x, 3, 1e-3).max_rel_error, 1e-9);
}
