// Shear from convergence: flat Kaiser-Squires (round trip, pure E and B modes) and the
// HEALPix spin-2 form (round trip, tangential shear sign, C_ell^EE = (l+2)(l-1)/(l(l+1)) C^kk).
#include <alm.h>
#include <alm_healpix_tools.h>
#include <gtest/gtest.h>
#include <healpix_base.h>
#include <healpix_map.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "sim/sky/shear.hpp"
#include "sim/sky/sky_map.hpp"

namespace cg = cosmograd::sim;

namespace {

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

double max_abs(const std::vector<double>& a) {
  double m = 0;
  for (double v : a) m = std::max(m, std::fabs(v));
  return m;
}

// A band-limited Gaussian convergence map: C_ell ~ 1e-5 (l + 10)^-1.5 for 2 <= l <= lmax.
cg::HealpixMap band_limited_kappa(int nside, int lmax, unsigned seed,
                                  Alm<xcomplex<double>>* alm_out = nullptr) {
  Alm<xcomplex<double>> a(lmax, lmax);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  for (int m = 0; m <= lmax; ++m) {
    for (int l = m; l <= lmax; ++l) {
      const double s = l < 2 ? 0.0 : std::sqrt(1e-5 / std::pow(l + 10.0, 1.5));
      a(l, m) = m == 0 ? xcomplex<double>(s * g(rng), 0.0)
                       : xcomplex<double>(s * g(rng) / std::sqrt(2.0), s * g(rng) / std::sqrt(2.0));
    }
  }
  Healpix_Map<double> h(nside, RING, SET_NSIDE);
  alm2map(a, h);
  cg::HealpixMap m = cg::HealpixMap::filled(nside);
  for (int p = 0; p < h.Npix(); ++p) m.values[p] = h[p];
  if (alm_out != nullptr) *alm_out = a;
  return m;
}

Healpix_Map<double> to_hp(const cg::HealpixMap& m) {
  Healpix_Map<double> h(m.nside, RING, SET_NSIDE);
  for (int p = 0; p < h.Npix(); ++p) h[p] = m.values[p];
  return h;
}

}  // namespace

TEST(FlatShear, KaiserSquiresRoundTrip) {
  const int n = 64;
  cg::FlatMap k = cg::FlatMap::filled(n, 5.0);
  std::mt19937_64 rng(1);
  std::normal_distribution<double> g(0.0, 0.02);
  double mean = 0;
  for (double& v : k.values) mean += (v = g(rng));
  mean /= k.values.size();
  for (double& v : k.values) v -= mean;  // the mean does not shear: zero-mean maps come back
  const cg::FlatShear s = cg::flat_kappa_to_shear(k);
  cg::FlatMap kb;
  const cg::FlatMap back = cg::flat_shear_to_kappa(s, &kb);
  EXPECT_LT(max_abs_diff(back.values, k.values), 1e-10 * max_abs(k.values));
  EXPECT_LT(max_abs(kb.values), 1e-10 * max_abs(k.values));
  // Shear and convergence have the same power (|D| = 1).
  double pk = 0, pg = 0;
  for (std::size_t i = 0; i < k.values.size(); ++i) {
    pk += k.values[i] * k.values[i];
    pg += s.gamma1.values[i] * s.gamma1.values[i] + s.gamma2.values[i] * s.gamma2.values[i];
  }
  EXPECT_NEAR(pg / pk, 1.0, 1e-10);
}

TEST(FlatShear, PureEModeAndPureBMode) {
  // kappa = cos(l.x) with l along angle phi: gamma = (cos 2 phi, sin 2 phi) kappa.
  const int n = 32;
  const int kx = 3, ky = 5;
  const double phi = std::atan2(ky, kx);
  cg::FlatMap k = cg::FlatMap::filled(n, 2.0);
  for (int iy = 0; iy < n; ++iy) {
    for (int ix = 0; ix < n; ++ix) {
      k.values[iy * n + ix] = std::cos(2.0 * M_PI * (kx * ix + ky * iy) / n);
    }
  }
  const cg::FlatShear s = cg::flat_kappa_to_shear(k);
  for (std::size_t i = 0; i < k.values.size(); ++i) {
    ASSERT_NEAR(s.gamma1.values[i], std::cos(2.0 * phi) * k.values[i], 1e-12);
    ASSERT_NEAR(s.gamma2.values[i], std::sin(2.0 * phi) * k.values[i], 1e-12);
  }
  // Rotating each shear by 45 degrees makes it a pure B mode: kappa_E = 0, kappa_B = kappa.
  cg::FlatShear b = s;
  for (std::size_t i = 0; i < k.values.size(); ++i) {
    b.gamma1.values[i] = -s.gamma2.values[i];
    b.gamma2.values[i] = s.gamma1.values[i];
  }
  cg::FlatMap kb;
  const cg::FlatMap ke = cg::flat_shear_to_kappa(b, &kb);
  EXPECT_LT(max_abs(ke.values), 1e-12);
  EXPECT_LT(max_abs_diff(kb.values, k.values), 1e-12);
  cg::FlatShear bad = s;
  bad.gamma2.n = 16;
  EXPECT_THROW(cg::flat_shear_to_kappa(bad), std::invalid_argument);
}

TEST(HealpixShear, SpinTwoRoundTripOfABandLimitedMap) {
  const int nside = 32, lmax = 2 * nside;
  const cg::HealpixMap k = band_limited_kappa(nside, lmax, 5);
  const double scale = max_abs(k.values);
  // Jacobi iterations converge geometrically at lmax = 2 nside (max error / max |kappa|:
  // 3e-2 without, 5e-5 with 3, 9e-8 with 6, 2e-11 with 10 in both directions).
  const cg::HealpixShear s = cg::healpix_kappa_to_shear(k, lmax, 6);
  cg::HealpixMap kb;
  const cg::HealpixMap back = cg::healpix_shear_to_kappa(s, lmax, 6, &kb);
  EXPECT_LT(max_abs_diff(back.values, k.values), 1e-6 * scale);
  EXPECT_LT(max_abs(kb.values), 1e-6 * scale);
  try {
    cg::healpix_kappa_to_shear(k, 3 * nside + 1);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("lmax = 97 is out of range"), std::string::npos);
  }
}

TEST(HealpixShear, ConvergencePeakGivesTangentialShear) {
  // A Gaussian convergence peak (sigma = 3 deg) at theta = pi/2, phi = 0. In the local frame
  // (x, y) = (e_theta, e_phi), flat lensing gives gamma = -gamma_t exp(2 i alpha) at position
  // angle alpha, gamma_t(r) = kbar(<r) - k(r) = A [2 s^2 / r^2 (1 - e^{-r^2 / 2 s^2}) - e^{-r^2
  // / 2 s^2}] (Kaiser & Squires 1993).
  const int nside = 128, lmax = 3 * nside;
  const double A = 0.01, sig = 3.0 * M_PI / 180.0;
  const T_Healpix_Base<int64_t> base(nside, RING, SET_NSIDE);
  cg::HealpixMap k = cg::HealpixMap::filled(nside);
  const vec3 c(1, 0, 0);
  for (int64_t p = 0; p < base.Npix(); ++p) {
    const double r = std::acos(std::clamp(dotprod(base.pix2vec(p), c), -1.0, 1.0));
    k.values[p] = A * std::exp(-0.5 * r * r / (sig * sig));
  }
  const cg::HealpixShear s = cg::healpix_kappa_to_shear(k, lmax, 3);
  for (int i = 0; i < 8; ++i) {
    // The pixel nearest to 5 deg from the peak along e_theta cos(a) + e_phi sin(a); its own
    // centre gives the expected shear.
    const double a = i * M_PI / 4, r0 = 5.0 * M_PI / 180.0;
    const int64_t p = base.ang2pix(pointing(0.5 * M_PI + r0 * std::cos(a), r0 * std::sin(a)));
    const pointing q = base.pix2ang(p);
    const double dx = q.theta - 0.5 * M_PI;
    const double dy = (q.phi > M_PI ? q.phi - 2 * M_PI : q.phi) * std::sin(q.theta);
    const double alpha = std::atan2(dy, dx);
    const double r = std::acos(std::clamp(dotprod(base.pix2vec(p), c), -1.0, 1.0));
    const double x = r * r / (2 * sig * sig);
    const double gt = A * ((1.0 - std::exp(-x)) / x - std::exp(-x));
    EXPECT_NEAR(s.gamma1.values[p], -gt * std::cos(2 * alpha), 0.02 * gt) << "alpha " << alpha;
    EXPECT_NEAR(s.gamma2.values[p], -gt * std::sin(2 * alpha), 0.02 * gt) << "alpha " << alpha;
  }
}

TEST(HealpixShear, EModePowerIsTheConvergencePowerTimesTheSpinFactor) {
  const int nside = 64, lmax = 2 * nside;
  Alm<xcomplex<double>> ka;
  const cg::HealpixMap k = band_limited_kappa(nside, lmax, 9, &ka);
  const cg::HealpixShear s = cg::healpix_kappa_to_shear(k, lmax, 3);
  Alm<xcomplex<double>> t(lmax, lmax), e(lmax, lmax), b(lmax, lmax);
  Healpix_Map<double> zero(nside, RING, SET_NSIDE);
  zero.fill(0.0);
  map2alm_pol_iter(zero, to_hp(s.gamma1), to_hp(s.gamma2), t, e, b, 3);
  for (int l = 2; l <= lmax; ++l) {
    double ckk = std::norm(ka(l, 0)), cee = std::norm(e(l, 0)), cbb = std::norm(b(l, 0));
    for (int m = 1; m <= l; ++m) {
      ckk += 2 * std::norm(ka(l, m));
      cee += 2 * std::norm(e(l, m));
      cbb += 2 * std::norm(b(l, m));
    }
    const double f = (l + 2.0) * (l - 1.0) / (l * (l + 1.0));
    EXPECT_NEAR(cee / (f * ckk), 1.0, 1e-4) << "ell " << l;
    EXPECT_LT(cbb, 1e-8 * cee) << "ell " << l;
  }
}
