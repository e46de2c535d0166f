// Baryonification (Schneider & Teyssier 2015): mass fractions, conservation of mass, the sign
// of the moves, and particles sampled from an NFW halo ending with the model's profile.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "sim/baryons/baryonification.hpp"
#include "sim/baryons/halo_profiles.hpp"

namespace cg = cosmograd::sim;

namespace {

constexpr double kFb = 0.0486 / 0.3089;                             // Planck 2015 baryon fraction
const double kRhoMean = cg::mean_overdensity_density(1.0, 0.3089);  // [(Msun/h)/(Mpc/h)^3]

/// Linear interpolation of y(x) (x increasing).
double lerp_table(const std::vector<double>& x, const std::vector<double>& y, double v) {
  const std::size_t i =
      static_cast<std::size_t>(std::upper_bound(x.begin(), x.end(), v) - x.begin());
  if (i == 0) return y.front();
  if (i >= x.size()) return y.back();
  const double t = (v - x[i - 1]) / (x[i] - x[i - 1]);
  return y[i - 1] + t * (y[i] - y[i - 1]);
}

}  // namespace

TEST(Baryonification, FractionsAddUpAndFollowTheGasMassScale) {
  const cg::BcmParams p;
  for (const double m : {1e11, 1e12, 1e13, 1e14, 1e15}) {
    const cg::BcmFractions f = cg::bcm_fractions(p, m, kFb);
    EXPECT_NEAR(f.clm + f.cga + f.bgas + f.egas, 1.0, 1e-12);  // the halo's mass is kept
    EXPECT_NEAR(f.bgas + f.egas + f.star, kFb, 1e-12);
    EXPECT_GE(f.egas, 0);
    EXPECT_LE(f.cga, f.star);
  }
  // Half of the non-stellar baryons are bound at M = M_c (S15 eq. 2.19).
  const double mc = std::pow(10.0, p.log10_mc);
  const cg::BcmFractions at_mc = cg::bcm_fractions(p, mc, kFb);
  EXPECT_NEAR(at_mc.bgas, 0.5 * (kFb - at_mc.star), 1e-12);
  EXPECT_GT(cg::bcm_fractions(p, 1e15, kFb).bgas, 0.7 * kFb);
  EXPECT_LT(cg::bcm_fractions(p, 1e12, kFb).bgas, 0.2 * kFb);
}

// Mass is conserved: M_bcm -> M_dmo far out, and the displacement vanishes there. A group
// below M_c loses gas from its inside (outward moves around r200) while the central galaxy
// pulls the centre in.
TEST(Baryonification, HaloProfileConservesMassAndMovesTheRightWay) {
  const cg::BcmParams p;
  const double m = 1e13, r200 = cg::so_radius(m, 200 * cg::mean_overdensity_density(1.0, 1.0));
  const cg::BcmHaloProfile h = cg::bcm_halo_profile(p, m, r200, 0.0, kFb, kRhoMean);
  const double m_end_dmo = h.m_dmo.back(), m_end_bcm = h.m_bcm.back();
  EXPECT_NEAR(m_end_bcm / m_end_dmo, 1.0, 0.02);
  const auto disp_at = [&](double r) { return lerp_table(h.r, h.disp, r); };
  EXPECT_GT(disp_at(0.5 * r200), 0.0);
  EXPECT_GT(disp_at(1.0 * r200), 0.0);
  EXPECT_LT(disp_at(0.005 * r200), 0.0);
  EXPECT_LT(std::abs(disp_at(7.9 * r200)), 0.01 * r200);
  EXPECT_EQ(h.disp.back(), 0.0);  // tapered to nothing at r_max
  // Below M_c a 1e13 halo has lost most of its gas from inside r200.
  const double m_in_dmo = lerp_table(h.r, h.m_dmo, r200), m_in_bcm = lerp_table(h.r, h.m_bcm, r200);
  EXPECT_LT(m_in_bcm, m_in_dmo * (1 - 0.3 * kFb));
}

// Particles drawn from the truncated NFW of a 1e14 Msun/h halo: after baryonify() their
// enclosed mass follows M_bcm(r) of the model (Poisson noise: 4 sigma).
TEST(Baryonification, SampledHaloFollowsTheModelProfile) {
  const double m = 1e14, z = 0.0,
               r200 = cg::so_radius(m, 200 * cg::mean_overdensity_density(1.0, 1.0)), box = 24;
  const cg::BcmParams p;
  const cg::BcmHaloProfile h = cg::bcm_halo_profile(p, m, r200, z, kFb, kRhoMean);
  // Inverse-CDF sampling of M_dmo(<r) / M_dmo(<r_max) on the table.
  std::vector<double> cdf(h.m_dmo.size());
  for (std::size_t i = 0; i < cdf.size(); ++i) cdf[i] = h.m_dmo[i] / h.m_dmo.back();
  const int n_side = 40;
  cg::Particles<double> parts = cg::Particles<double>::lattice_grid(n_side, box);
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u01(0, 1), u11(-1, 1);
  const std::array<double, 3> centre{3.0, 20.0, 12.5};  // near a face: periodic images count
  std::vector<double> log_r(h.r.size());
  for (std::size_t i = 0; i < log_r.size(); ++i) log_r[i] = std::log(h.r[i]);
  for (std::size_t j = 0; j < parts.size(); ++j) {
    const double r = std::exp(lerp_table(cdf, log_r, std::max(u01(rng), cdf.front())));
    double v[3], s2 = 0;
    do {
      s2 = 0;
      for (double& c : v) c = u11(rng), s2 += c * c;
    } while (s2 > 1 || s2 < 1e-12);
    for (int d = 0; d < 3; ++d) {
      parts.disp[3 * j + d] = centre[d] + r * v[d] / std::sqrt(s2) - parts.lattice(j, d);
    }
  }
  cg::HaloCatalog cat;
  cat.header.box_size = box;
  cat.header.a = 1;
  cat.header.Omega_m = 0.3089;
  cg::Halo halo;
  halo.m200c = m;
  halo.r200c = r200;
  halo.so_pos = centre;
  cat.halos.push_back(halo);
  cg::BcmReport report;
  const cg::Particles<double> moved = cg::baryonify(parts, cat, p, kFb, &report);
  EXPECT_EQ(report.halos, 1u);
  EXPECT_GT(report.moved, parts.size() / 2);
  const double total = static_cast<double>(parts.size());
  for (const double x : {0.05, 0.1, 0.3, 0.6, 1.0, 2.0}) {
    const double r = x * r200;
    double inside = 0;
    for (std::size_t j = 0; j < moved.size(); ++j) {
      double s = 0;
      for (int d = 0; d < 3; ++d) {
        double v = moved.position(j, d) - centre[d];
        v -= box * std::round(v / box);
        s += v * v;
      }
      inside += std::sqrt(s) < r;
    }
    const double expect = lerp_table(h.r, h.m_bcm, r) / h.m_dmo.back() * total;
    EXPECT_NEAR(inside, expect, 4 * std::sqrt(expect) + 1) << "r = " << x << " r200c";
  }
}

TEST(Baryonification, RejectsBadParameters) {
  cg::BcmParams p;
  p.beta = -1;
  EXPECT_THROW(p.validate(), std::invalid_argument);
  p = cg::BcmParams{};
  p.eta_cga = 0.1;  // below eta_star
  EXPECT_THROW(p.validate(), std::invalid_argument);
  p = cg::BcmParams{};
  EXPECT_THROW(cg::bcm_halo_profile(p, -1, 1, 0, kFb, kRhoMean), std::invalid_argument);
}
