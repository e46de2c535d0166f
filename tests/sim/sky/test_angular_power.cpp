// Angular power spectra: HEALPix C_ell against a known input spectrum within cosmic variance,
// the f_sky correction of a half-sky mask, flat white noise and single Fourier modes.
#include <alm.h>
#include <alm_healpix_tools.h>
#include <gtest/gtest.h>
#include <healpix_base.h>
#include <healpix_map.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/sky/angular_power.hpp"
#include "sim/sky/sky_map.hpp"

namespace cg = cosmograd::sim;

namespace {

// A Gaussian realisation's a_lm for C_ell = cl[l] (a_l0 real, a_lm complex with variance
// C_ell split over both parts).
Alm<xcomplex<double>> gaussian_alm(const std::vector<double>& cl, unsigned seed) {
  const int lmax = static_cast<int>(cl.size()) - 1;
  Alm<xcomplex<double>> a(lmax, lmax);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  for (int m = 0; m <= lmax; ++m) {
    for (int l = m; l <= lmax; ++l) {
      const double s = std::sqrt(cl[l]);
      if (m == 0) {
        a(l, m) = xcomplex<double>(s * g(rng), 0.0);
      } else {
        const double re = g(rng), im = g(rng);
        a(l, m) = xcomplex<double>(s * re / std::sqrt(2.0), s * im / std::sqrt(2.0));
      }
    }
  }
  return a;
}

cg::HealpixMap synthesise(const Alm<xcomplex<double>>& a, int nside) {
  Healpix_Map<double> h(nside, RING, SET_NSIDE);
  alm2map(a, h);
  cg::HealpixMap m = cg::HealpixMap::filled(nside);
  for (int p = 0; p < h.Npix(); ++p) m.values[p] = h[p];
  return m;
}

std::vector<double> input_cl(int lmax) {
  std::vector<double> cl(lmax + 1, 0.0);
  for (int l = 2; l <= lmax; ++l) cl[l] = 1e-5 / std::pow(l + 10.0, 1.5);
  return cl;
}

}  // namespace

TEST(HealpixCl, RecoversTheInputSpectrumWithinCosmicVariance) {
  const int nside = 64, lmax = 2 * nside;
  const std::vector<double> cl = input_cl(lmax);
  const Alm<xcomplex<double>> a = gaussian_alm(cl, 7);
  const cg::HealpixMap map = synthesise(a, nside);
  const int bins = 12;
  const cg::AngularPower p = cg::healpix_cl(map, nullptr, lmax, bins);
  ASSERT_EQ(p.cl.size(), 12u);
  EXPECT_EQ(p.f_sky, 1.0);
  EXPECT_EQ(p.map_type, "healpix");
  const cg::AngularPower expect = cg::bin_cl(cl, 2, bins, cg::EllBinning::linear);
  double chi2 = 0;
  double total_modes = 0;
  for (std::size_t b = 0; b < p.cl.size(); ++b) {
    total_modes += p.modes[b];
    // Cosmic variance of a mode-weighted bin mean: sigma ~ C sqrt(2 / modes).
    const double sigma = expect.cl[b] * std::sqrt(2.0 / p.modes[b]);
    const double z = (p.cl[b] - expect.cl[b]) / sigma;
    EXPECT_LT(std::fabs(z), 4.0) << "bin " << b << " ell " << p.ell[b];
    chi2 += z * z;
  }
  EXPECT_DOUBLE_EQ(total_modes, (lmax + 1.0) * (lmax + 1.0) - 4.0);  // sum_{l=2}^{lmax} 2l+1
  EXPECT_LT(chi2, 12.0 + 5.0 * std::sqrt(2.0 * 12.0));               // mean 12, 5 sigma
  // The transform itself: against this realisation's own a_lm, far tighter.
  const std::vector<double> raw = cg::healpix_cl_per_ell(map, nullptr, lmax, 3);
  for (int l = 2; l <= lmax; ++l) {
    double s = std::norm(a(l, 0));
    for (int m = 1; m <= l; ++m) s += 2.0 * std::norm(a(l, m));
    EXPECT_NEAR(raw[l] / (s / (2.0 * l + 1.0)), 1.0, 1e-3) << "ell " << l;
  }
}

TEST(HealpixCl, HalfSkyMaskIsCorrectedByFsky) {
  const int nside = 64, lmax = 2 * nside;
  const std::vector<double> cl = input_cl(lmax);
  const cg::HealpixMap map = synthesise(gaussian_alm(cl, 11), nside);
  cg::HealpixMap mask = cg::HealpixMap::filled(nside, 0.0);
  const T_Healpix_Base<int64_t> base(nside, RING, SET_NSIDE);
  for (int64_t p = 0; p < base.Npix(); ++p) mask.values[p] = base.pix2vec(p).z > 0.0 ? 1.0 : 0.0;
  cg::HealpixMap with_nan = map;
  for (std::size_t p = 0; p < mask.values.size(); ++p) {
    if (mask.values[p] == 0.0) with_nan.values[p] = NAN;  // masked pixels may hold anything
  }
  cg::AngularPowerOptions o;
  o.ell_min = 20;
  const cg::AngularPower full = cg::healpix_cl(map, nullptr, lmax, 6, o);
  const cg::AngularPower half = cg::healpix_cl(with_nan, &mask, lmax, 6, o);
  double f = 0;
  for (double w : mask.values) f += w;
  EXPECT_DOUBLE_EQ(half.f_sky, f / mask.values.size());  // the equator ring (z = 0) is out
  EXPECT_NEAR(half.f_sky, 0.5, 0.003);
  double sum_ratio = 0;
  for (std::size_t b = 0; b < half.cl.size(); ++b) {
    const double r = half.cl[b] / full.cl[b];
    // Half the sky: ~ sqrt(2 / (0.5 modes)) ~ 3-4 % per bin, partly shared with the full sky.
    EXPECT_NEAR(r, 1.0, 0.1) << "bin " << b << " ell " << half.ell[b];
    sum_ratio += r;
  }
  EXPECT_NEAR(sum_ratio / half.cl.size(), 1.0, 0.03);
  // Without the correction the pseudo-C_ell would be half as large.
}

TEST(HealpixCl, BinningAndErrors) {
  std::vector<double> cl(101, 1.0);
  const cg::AngularPower lin = cg::bin_cl(cl, 2, 10, cg::EllBinning::linear);
  ASSERT_EQ(lin.cl.size(), 10u);
  EXPECT_EQ(lin.ell_low.front(), 2.0);
  EXPECT_EQ(lin.ell_high.back(), 101.0);
  const cg::AngularPower lg = cg::bin_cl(cl, 2, 10, cg::EllBinning::log);
  EXPECT_LE(lg.cl.size(), 10u);
  for (std::size_t b = 1; b < lg.cl.size(); ++b) {
    EXPECT_EQ(lg.ell_low[b], lg.ell_high[b - 1]);
    EXPECT_GT(lg.ell_high[b] - lg.ell_low[b], lg.ell_high[b - 1] - lg.ell_low[b - 1] - 1.0);
  }
  EXPECT_THROW(cg::bin_cl(cl, 2, 0, cg::EllBinning::linear), std::invalid_argument);
  const cg::HealpixMap m = cg::HealpixMap::filled(8, 1.0);
  try {
    cg::healpix_cl(m, nullptr, 0, 1);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("lmax = 0 is out of range (allowed: 1 to 3 nside"),
              std::string::npos)
        << e.what();
  }
  const cg::HealpixMap other = cg::HealpixMap::filled(16, 1.0);
  EXPECT_THROW(cg::healpix_cl(m, &other, 16, 2), std::invalid_argument);
  const std::vector<double> w = cg::healpix_pixel_window_approx(64, 192);
  EXPECT_EQ(w[0], 1.0);
  EXPECT_GT(w[128], 0.75);
  EXPECT_LT(w[128], 0.9);
}

TEST(HealpixCl, ApproximatePixelWindowMatchesAveragingIntoPixels) {
  // The window of an nside-32 pixel, measured: synthesise at nside 256, average the 64
  // sub-pixels of each nside-32 pixel (NESTED blocks), compare C_ell with the a_lm's own.
  const int lo = 32, hi = 256, lmax = 2 * lo;
  const std::vector<double> flat(lmax + 1, 1.0);
  const Alm<xcomplex<double>> a = gaussian_alm(flat, 5);
  Healpix_Map<double> h(hi, RING, SET_NSIDE);
  alm2map(a, h);
  h.swap_scheme();
  Healpix_Map<double> d(lo, NEST, SET_NSIDE);
  const int f = (hi / lo) * (hi / lo);
  for (int p = 0; p < d.Npix(); ++p) {
    double s = 0;
    for (int k = 0; k < f; ++k) s += h[p * f + k];
    d[p] = s / f;
  }
  d.swap_scheme();
  cg::HealpixMap m = cg::HealpixMap::filled(lo);
  for (int p = 0; p < d.Npix(); ++p) m.values[p] = d[p];
  const std::vector<double> measured = cg::healpix_cl_per_ell(m, nullptr, lmax, 3);
  const std::vector<double> w = cg::healpix_pixel_window_approx(lo, lmax);
  for (int l0 = 2; l0 + 8 <= lmax + 1; l0 += 8) {
    double sm = 0, sa = 0, sw = 0, n = 0;
    for (int l = l0; l < l0 + 8; ++l) {
      double s = std::norm(a(l, 0));
      for (int mm = 1; mm <= l; ++mm) s += 2.0 * std::norm(a(l, mm));
      sa += s;
      sm += measured[l] * (2.0 * l + 1.0);
      sw += w[l] * w[l] * (2.0 * l + 1.0);
      n += 2.0 * l + 1.0;
    }
    EXPECT_NEAR((sm / sa) / (sw / n), 1.0, 0.025) << "ell " << l0 << ".." << l0 + 7;
  }
}

TEST(FlatCl, WhiteNoiseGivesTheWhiteLevel) {
  const int n = 128;
  cg::FlatMap m = cg::FlatMap::filled(n, 5.0);
  std::mt19937_64 rng(3);
  const double s = 0.3;
  std::normal_distribution<double> g(0.0, s);
  for (double& v : m.values) v = g(rng);
  const cg::AngularPower p = cg::flat_cl(m, nullptr, 16);
  const double d = m.pixel_rad();
  const double white = s * s * d * d;
  double sum = 0, modes = 0;
  for (std::size_t b = 0; b < p.cl.size(); ++b) {
    const double sigma = white * std::sqrt(2.0 / p.modes[b]);
    EXPECT_LT(std::fabs(p.cl[b] - white), 4.0 * sigma) << "bin " << b;
    sum += p.cl[b] * p.modes[b];
    modes += p.modes[b];
  }
  EXPECT_NEAR(sum / modes / white, 1.0, 3.0 * std::sqrt(2.0 / modes));
  // A mask of 1 on the left half: f_sky = 0.5 and the same white level.
  cg::FlatMap mask = cg::FlatMap::filled(n, 5.0, 0.0);
  for (int iy = 0; iy < n; ++iy) {
    for (int ix = 0; ix < n / 2; ++ix) mask.values[iy * n + ix] = 1.0;
  }
  const cg::AngularPower h = cg::flat_cl(m, &mask, 8);
  EXPECT_DOUBLE_EQ(h.f_sky, 0.5);
  sum = modes = 0;
  for (std::size_t b = 0; b < h.cl.size(); ++b) {
    sum += h.cl[b] * h.modes[b];
    modes += h.modes[b];
  }
  EXPECT_NEAR(sum / modes / white, 1.0, 0.03);
  // The pixel window divided: larger at high ell, unchanged at low ell.
  cg::AngularPowerOptions o;
  o.divide_pixel_window = true;
  const cg::AngularPower pw = cg::flat_cl(m, nullptr, 16, o);
  EXPECT_TRUE(pw.pixel_window_divided);
  EXPECT_GT(pw.cl.back(), p.cl.back() * 1.5);
  EXPECT_NEAR(pw.cl.front(), p.cl.front(), 0.01 * p.cl.front());
}

TEST(FlatCl, SingleFourierModeLandsAtItsEll) {
  const int n = 64;
  const double field = 8.0;
  cg::FlatMap m = cg::FlatMap::filled(n, field);
  for (int iy = 0; iy < n; ++iy) {
    for (int ix = 0; ix < n; ++ix) {
      m.values[iy * n + ix] = std::cos(2.0 * M_PI * (3.0 * ix + 4.0 * iy) / n);  // |k| = 5
    }
  }
  const double lf = 2.0 * M_PI / (field * M_PI / 180.0);
  const cg::AngularPower p = cg::flat_cl(m, nullptr, n / 2);
  int hit = -1;
  double total = 0;
  for (std::size_t b = 0; b < p.cl.size(); ++b) {
    if (p.cl[b] > 1e-20) {
      EXPECT_EQ(hit, -1) << "power in more than one bin";
      hit = static_cast<int>(b);
    }
    total += p.cl[b] * p.modes[b];
  }
  ASSERT_GE(hit, 0);
  EXPECT_LE(p.ell_low[hit], 5.0 * lf);
  EXPECT_GE(p.ell_high[hit], 5.0 * lf);
  // Parseval: sum over Fourier cells of C equals the area times the variance (1/2).
  const double area = n * n * m.pixel_rad() * m.pixel_rad();
  EXPECT_NEAR(total / (0.5 * area), 1.0, 1e-10);
  const std::string table = cg::angular_power_table(p, {"test spectrum"});
  EXPECT_NE(table.find("# test spectrum\n"), std::string::npos);
  EXPECT_NE(table.find("# ell_mean ell_low ell_high cl[unit^2 sr] modes pixwin2\n"),
            std::string::npos);
  EXPECT_NE(table.find("f_sky = mean(mask^2) = 1"), std::string::npos);
  EXPECT_NE(table.find("pixel window divided: no"), std::string::npos);
  EXPECT_NE(table.find("flat (TAN), 64 x 64 pixels, field 8 deg"), std::string::npos);
  EXPECT_THROW(cg::flat_cl(m, nullptr, 0), std::invalid_argument);
}
