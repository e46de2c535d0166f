// Bilinear HEALPix weights: the pixels and weights of healpix_cxx's get_interpol, their sum,
// and their derivatives in theta and phi against central differences.
#include <gtest/gtest.h>
#include <healpix_base.h>

#include <cmath>
#include <map>
#include <random>

#include "sim/sky/healpix_interpolation.hpp"

namespace cg = cosmograd::sim;

TEST(HealpixBilinear, MatchesGetInterpolAndItsDerivatives) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int nside : {1, 4, 16}) {
    const T_Healpix_Base<int> base(nside, RING, SET_NSIDE);
    for (int trial = 0; trial < 2000; ++trial) {
      // Uniform on the sphere, plus directions near the poles (the polar-cap branches).
      const double z =
          trial % 10 == 0 ? (trial % 20 == 0 ? 1 : -1) * (1 - 1e-3 * u(rng)) : 2 * u(rng) - 1;
      const double theta = std::acos(z), phi = 2 * M_PI * u(rng);
      const cg::HealpixBilinear w = cg::healpix_bilinear(nside, theta, phi);
      fix_arr<int, 4> pix;
      fix_arr<double, 4> wgt;
      base.get_interpol(pointing(theta, phi), pix, wgt);
      std::map<int, double> ours, theirs;
      double sum = 0;
      for (int k = 0; k < 4; ++k) {
        ours[w.pixel[k]] += w.weight[k];
        theirs[pix[k]] += wgt[k];
        sum += w.weight[k];
      }
      EXPECT_NEAR(sum, 1.0, 1e-12);
      ASSERT_EQ(ours.size(), theirs.size()) << "nside " << nside << " theta " << theta;
      for (const auto& [p, v] : theirs) EXPECT_NEAR(ours[p], v, 1e-12) << "pixel " << p;
      // Derivatives: central differences that stay inside the same pixel quartet.
      const double h = 1e-7;
      const cg::HealpixBilinear tp = cg::healpix_bilinear(nside, theta + h, phi);
      const cg::HealpixBilinear tm = cg::healpix_bilinear(nside, theta - h, phi);
      const cg::HealpixBilinear pp = cg::healpix_bilinear(nside, theta, phi + h);
      const cg::HealpixBilinear pm = cg::healpix_bilinear(nside, theta, phi - h);
      for (int k = 0; k < 4; ++k) {
        if (tp.pixel == w.pixel && tm.pixel == w.pixel) {
          const double fd = (tp.weight[k] - tm.weight[k]) / (2 * h);
          EXPECT_NEAR(w.d_theta[k], fd, 1e-5 * (1 + std::abs(fd)));
        }
        if (pp.pixel == w.pixel && pm.pixel == w.pixel) {
          const double fd = (pp.weight[k] - pm.weight[k]) / (2 * h);
          EXPECT_NEAR(w.d_phi[k], fd, 1e-5 * (1 + std::abs(fd)));
        }
      }
    }
  }
}
