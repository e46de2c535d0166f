// Tests of sim/sky/source_redshifts.hpp and sim/sky/limber.hpp: Smail n(z) normalisation and
// mean against the Gamma-function result, plane efficiencies, n(z) tables and files with
// their errors, dual derivatives of g(chi), a(chi) and the prefactor against central finite
// differences, and the Limber integral against analytic power-law results, an independent
// brute-force integral, quadrature doubling and sanity ranges.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/cosmo/cosmology.hpp"
#include "sim/cosmo/halofit.hpp"
#include "sim/cosmo/linear_power.hpp"
#include "sim/sky/limber.hpp"
#include "sim/sky/source_redshifts.hpp"
#include "tests/sim/temp_files.hpp"

namespace cosmograd::sim {
namespace {

constexpr double kDH = units::hubble_distance;

double rel(double a, double b) { return std::fabs(a - b) / std::max(std::fabs(b), 1e-300); }

/// Expects `f()` to throw std::invalid_argument whose message contains every string of `parts`.
void expect_invalid(const std::function<void()>& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one mentioning " << parts.at(0);
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    for (const std::string& p : parts) {
      EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
    }
  }
}

/// Normalised Smail n(z) = beta z^alpha exp(-(z/z0)^beta) / (z0^(alpha+1) Gamma((alpha+1)/beta)).
double smail_exact(double z, double alpha, double beta, double z0) {
  return beta * std::pow(z, alpha) * std::exp(-std::pow(z / z0, beta)) /
         (std::pow(z0, alpha + 1) * std::tgamma((alpha + 1) / beta));
}

// ---- source distributions -------------------------------------------------------------------

TEST(SourceRedshifts, SmailNormalisationAndMean) {
  struct Case {
    double alpha, beta, z0, z_max;
  };
  for (const Case& k : {Case{2, 1.5, 0.28, 4}, Case{1, 2, 0.5, 4}, Case{2, 1, 0.3, 8}}) {
    const SourceDistribution s = SourceDistribution::smail(k.alpha, k.beta, k.z0, k.z_max);
    double total = 0;
    for (double w : s.weights()) total += w;
    EXPECT_NEAR(total, 1.0, 1e-14);
    // <z> = z0 Gamma((alpha+2)/beta) / Gamma((alpha+1)/beta) (untruncated; the tail beyond z_max
    // is below 1e-9 for these cases).
    const double mean =
        k.z0 * std::tgamma((k.alpha + 2) / k.beta) / std::tgamma((k.alpha + 1) / k.beta);
    EXPECT_LT(rel(s.mean_z(), mean), 1e-7) << s.name();
    for (double z : {0.1, 0.5, 1.3, 2.5}) {
      EXPECT_LT(rel(s.density(z), smail_exact(z, k.alpha, k.beta, k.z0)), 1e-7) << z;
    }
    EXPECT_EQ(s.density(k.z_max + 0.5), 0.0);
    EXPECT_EQ(s.z_max(), k.z_max);
    EXPECT_EQ(s.kind(), SourceDistribution::Kind::smail);
  }
  EXPECT_EQ(SourceDistribution::smail(2, 1.5, 0.28).name(), "smail_2_1.5_0.28");
  EXPECT_EQ(SourceDistribution::smail(2, 1.5, 0.28, 3).name(), "smail_2_1.5_0.28_3");
  expect_invalid([] { SourceDistribution::smail(-2, 1.5, 0.28); }, {"alpha = -2"});
  expect_invalid([] { SourceDistribution::smail(2, 0, 0.28); }, {"beta = 0"});
  expect_invalid([] { SourceDistribution::smail(2, 1.5, 0); }, {"z0 = 0"});
  expect_invalid([] { SourceDistribution::smail(2, 1.5, 0.28, 30); }, {"z_max = 30"});
}

TEST(SourceRedshifts, PlaneEfficiencyExact) {
  const Cosmology c(planck2015());
  for (double zs : {0.5, 1.0, 3.0}) {
    const SourceDistribution s = SourceDistribution::plane(zs);
    EXPECT_EQ(s.z_max(), zs);
    const double chi_s = c.chi(1.0 / (1.0 + zs));
    for (double f : {0.0, 0.1, 0.5, 0.9, 0.999, 1.0, 1.5}) {
      const double chi = f * chi_s;
      const double expect = chi < chi_s ? (chi_s - chi) / chi_s : 0.0;
      EXPECT_NEAR(lensing_efficiency(c, s, chi), expect, 1e-14) << zs << " " << f;
    }
  }
  EXPECT_EQ(SourceDistribution::plane(1.0).name(), "plane_z1");
  EXPECT_EQ(SourceDistribution::plane(0.5).name(), "plane_z0.5");
  expect_invalid([] { SourceDistribution::plane(0.0); }, {"z = 0", "0 < z <= 20"});
  expect_invalid(
      [] { lensing_efficiency(Cosmology(planck2015()), SourceDistribution::plane(1), -1.0); },
      {"chi = -1"});
}

TEST(SourceRedshifts, SmailEfficiencyAgainstBruteForce) {
  // g(chi) = int_{z_c}^{4} dz n(z) (1 - chi/chi_s(z)), chi_s(z_c) = chi: Simpson on 4000
  // intervals of the analytic n, from the kink on (so the reference is smooth, error ~1e-12).
  const Cosmology c(planck2015());
  const double alpha = 2, beta = 1.5, z0 = 0.28;
  const SourceDistribution s = SourceDistribution::smail(alpha, beta, z0);
  const int m = 4000;
  double worst = 0;
  for (double chi : {10.0, 300.0, 1000.0, 2500.0, 4000.0}) {
    const double zc = 1.0 / scale_factor_at_chi(c, chi) - 1.0;
    const double h = (4.0 - zc) / m;
    double g = 0;
    for (int i = 0; i <= m; ++i) {
      const double z = zc + i * h;
      const double f = 1.0 - chi / c.chi(1.0 / (1.0 + z));
      g += (i == 0 || i == m ? 1.0 : (i % 2 ? 4.0 : 2.0)) * h / 3.0 *
           smail_exact(z, alpha, beta, z0) * f;
    }
    const double err = std::fabs(lensing_efficiency(c, s, chi) - g);
    worst = std::max(worst, err);
    EXPECT_LT(err, 5e-7) << "chi " << chi << " g " << g;
  }
  std::printf("worst |g - g_ref| = %.3g\n", worst);
}

TEST(SourceRedshifts, TableAndFile) {
  // Triangle on [0, 2] peaked at 1: normalised n(z) = 1 - |z - 1|, mean 1.
  const SourceDistribution t = SourceDistribution::table({0, 1, 2}, {0, 2, 0}, "tri");
  EXPECT_EQ(t.name(), "tri");
  EXPECT_NEAR(t.mean_z(), 1.0, 1e-12);
  EXPECT_NEAR(t.density(0.5), 0.5, 1e-14);
  EXPECT_NEAR(t.density(1.25), 0.75, 1e-14);
  EXPECT_EQ(t.density(2.5), 0.0);
  EXPECT_EQ(t.z_max(), 2.0);
  // A flat table [0.5, 1.5]: g against the plane average computed here.
  const SourceDistribution box = SourceDistribution::table({0.5, 1.5}, {3, 3}, "box");
  EXPECT_NEAR(box.mean_z(), 1.0, 1e-12);

  const auto dir = testing::fresh_dir("limber_nz");
  const std::string good = (dir / "my_nz.txt").string();
  {
    std::ofstream f(good);
    f << "# z n(z)\n0.0 0  # start\n\n1.0 2\n2.0 0\n";
  }
  const SourceDistribution fromfile = SourceDistribution::from_file(good);
  EXPECT_EQ(fromfile.name(), "my_nz");
  EXPECT_NEAR(fromfile.mean_z(), 1.0, 1e-12);
  const Cosmology c(planck2015());
  EXPECT_NEAR(lensing_efficiency(c, fromfile, 800.0), lensing_efficiency(c, t, 800.0), 1e-15);

  auto write = [&](const std::string& name, const std::string& text) {
    const std::string path = (dir / name).string();
    std::ofstream(path) << text;
    return path;
  };
  const std::string dec = write("dec.txt", "0 1\n1 1\n# c\n0.5 1\n");
  expect_invalid([&] { SourceDistribution::from_file(dec); },
                 {dec, "line 4", "z = 0.5", "increasing"});
  const std::string neg = write("neg.txt", "0 1\n1 -2\n");
  expect_invalid([&] { SourceDistribution::from_file(neg); }, {neg, "line 2", "n(z) = -2"});
  const std::string negz = write("negz.txt", "-1 1\n1 2\n");
  expect_invalid([&] { SourceDistribution::from_file(negz); }, {negz, "line 1", "z = -1"});
  const std::string one = write("one.txt", "# only\n1 1\n");
  expect_invalid([&] { SourceDistribution::from_file(one); }, {one, "at least 2"});
  const std::string zero = write("zero.txt", "0 0\n1 0\n");
  expect_invalid([&] { SourceDistribution::from_file(zero); }, {zero, "integral"});
  const std::string cols = write("cols.txt", "0 0\n1 0 3\n");
  expect_invalid([&] { SourceDistribution::from_file(cols); }, {cols, "line 2", "columns"});
  const std::string word = write("word.txt", "0 0\n1 x\n");
  expect_invalid([&] { SourceDistribution::from_file(word); }, {word, "line 2", "'x'"});
  expect_invalid([&] { SourceDistribution::from_file((dir / "none.txt").string()); },
                 {"none.txt", "cannot be opened"});
  expect_invalid([] { SourceDistribution::table({0, 1}, {1, 1, 1}); }, {"table"});
  std::filesystem::remove_all(dir);
}

TEST(SourceRedshifts, ParseSources) {
  const auto dir = testing::fresh_dir("limber_parse");
  const std::string file = (dir / "deep.dat").string();
  std::ofstream(file) << "0.5 0\n1 1\n3 0\n";
  const std::vector<SourceDistribution> s = parse_sources("1.0, 2 0.5", "smail:2:1.5:0.28," + file);
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s[0].name(), "plane_z1");
  EXPECT_EQ(s[1].name(), "plane_z2");
  EXPECT_EQ(s[2].name(), "plane_z0.5");
  EXPECT_EQ(s[3].name(), "smail_2_1.5_0.28");
  EXPECT_EQ(s[4].name(), "deep");
  EXPECT_EQ(s[4].z_max(), 3.0);
  EXPECT_TRUE(parse_sources("", "").empty());
  EXPECT_EQ(parse_sources("", "smail:2:1.5:0.28:3")[0].z_max(), 3.0);

  expect_invalid([] { parse_sources("1,abc", ""); }, {"source_z", "abc", "0 < z <= 20"});
  expect_invalid([] { parse_sources("0", ""); }, {"source_z", "0 < z <= 20"});
  expect_invalid([] { parse_sources("25", ""); }, {"source_z", "25"});
  expect_invalid([] { parse_sources("1", "smail:2:1.5"); }, {"source_nz", "smail:ALPHA:BETA:Z0"});
  expect_invalid([] { parse_sources("1", "smail:2:-1:0.3"); }, {"source_nz", "beta = -1"});
  expect_invalid([] { parse_sources("1", "smail:2:b:0.3"); }, {"source_nz", "'b'"});
  expect_invalid([] { parse_sources("", "/no/such/nz.txt"); }, {"source_nz", "/no/such/nz.txt"});
  expect_invalid([] { parse_sources("1,1", ""); }, {"plane_z1", "two sources"});
  std::filesystem::remove_all(dir);
}

// ---- derivatives ----------------------------------------------------------------------------

/// Central finite difference of f(params) in parameter `which` with relative step 1e-5.
double central_fd(const std::function<double(const CosmologyParams&)>& f, CosmologyParams p,
                  CosmoParam which) {
  const double x = param(p, which);
  const double step = 1e-5 * std::max(std::fabs(x), 0.1);
  CosmologyParams pp = p, pm = p;
  param(pp, which) = x + step;
  param(pm, which) = x - step;
  return (f(pp) - f(pm)) / (2 * step);
}

TEST(SourceRedshifts, DualDerivativesMatchFiniteDifferences) {
  for (bool radiation : {false, true}) {  // with radiation, chi depends on h as well
    CosmologyParams p = planck2015();
    p.w0 = -0.9;
    p.wa = 0.1;
    p.radiation = radiation;
    const CosmologyDual cd(seed_duals(p));
    const SourceDistribution smail = SourceDistribution::smail(2, 1.5, 0.28);
    const SourceDistribution plane = SourceDistribution::plane(1.2);
    struct Quantity {
      std::string name;
      std::function<double(const Cosmology&)> f;
      CosmoDual dual;
    };
    std::vector<Quantity> qs;
    for (double chi : {500.0, 1500.0, 2500.0}) {
      qs.push_back({"g_smail(" + std::to_string(chi) + ")",
                    [&, chi](const Cosmology& c) { return lensing_efficiency(c, smail, chi); },
                    lensing_efficiency(cd, smail, chi)});
      qs.push_back({"g_plane(" + std::to_string(chi) + ")",
                    [&, chi](const Cosmology& c) { return lensing_efficiency(c, plane, chi); },
                    lensing_efficiency(cd, plane, chi)});
      qs.push_back({"a(" + std::to_string(chi) + ")",
                    [chi](const Cosmology& c) { return scale_factor_at_chi(c, chi); },
                    scale_factor_at_chi(cd, chi)});
    }
    qs.push_back({"prefactor", [](const Cosmology& c) { return lensing_prefactor(c); },
                  lensing_prefactor(cd)});
    for (const Quantity& q : qs) {
      EXPECT_LT(rel(q.dual.v, q.f(Cosmology(p))), 1e-12) << q.name;
      for (CosmoParam which : {CosmoParam::Omega_m, CosmoParam::h, CosmoParam::w0}) {
        const double fd =
            central_fd([&](const CosmologyParams& pp) { return q.f(Cosmology(pp)); }, p, which);
        const double d = q.dual.d[static_cast<int>(which)];
        EXPECT_NEAR(d, fd, 1e-6 * std::fabs(fd) + 1e-9 * std::fabs(q.dual.v))
            << q.name << " d/d" << cosmo_param_name(which) << " radiation=" << radiation;
      }
    }
  }
}

TEST(SourceRedshifts, ScaleFactorAtChi) {
  CosmologyParams p = planck2015();
  p.Omega_k = 0.05;
  for (const CosmologyParams& q : {planck2015(), p}) {
    const Cosmology c(q);
    EXPECT_EQ(scale_factor_at_chi(c, 0.0), 1.0);
    for (double a : {0.999, 0.7, 0.3, 0.05, 1e-3}) {
      const double chi = c.chi(a);
      EXPECT_LT(rel(scale_factor_at_chi(c, chi), a), 1e-12) << a;
    }
    expect_invalid([&] { scale_factor_at_chi(c, -1.0); }, {"chi = -1"});
    expect_invalid([&] { scale_factor_at_chi(c, 1e6); }, {"chi = 1e+06"});
  }
}

TEST(SourceRedshifts, CurvedEfficiency) {
  // Open and closed: g for a plane is f_K(chi_s - chi) / f_K(chi_s).
  for (double ok : {0.1, -0.1}) {
    CosmologyParams p = planck2015();
    p.Omega_k = ok;
    const Cosmology c(p);
    const double chi_s = c.chi(1.0 / 3.0);
    const double chi = 0.4 * chi_s;
    const double sk = std::sqrt(std::fabs(ok)) / kDH;
    auto fk = [&](double x) { return ok > 0 ? std::sinh(sk * x) : std::sin(sk * x); };
    EXPECT_NEAR(lensing_efficiency(c, SourceDistribution::plane(2.0), chi),
                fk(chi_s - chi) / fk(chi_s), 1e-13);
  }
}

// ---- Limber ---------------------------------------------------------------------------------

/// int_{x0}^{x1} (1 - x/c)^2 x^m dx.
double kernel_integral(double x0, double x1, double c, double m) {
  auto F = [&](double x) {
    return std::pow(x, m + 1) / (m + 1) - 2 * std::pow(x, m + 2) / (c * (m + 2)) +
           std::pow(x, m + 3) / (c * c * (m + 3));
  };
  return F(x1) - F(x0);
}

TEST(Limber, PowerLawAnalytic) {
  // P(k, a) = A k^n a^2 cancels the 1/a^2 of q^2, so for a plane (flat)
  //   C_ell = pref^2 A (ell + 1/2)^n int dchi (1 - chi/chi_s)^2 chi^-n,
  // integrated in closed form, also with chi_min, chi_max and a k_max cut (chi >= L / k_max).
  const Cosmology c(planck2015());
  const double A = 2.0e3, n = -1.5;
  const LimberPower pl = [&](double k, double a) { return A * std::pow(k, n) * a * a; };
  const SourceDistribution s = SourceDistribution::plane(1.0);
  const double chi_s = c.chi(0.5);
  const double pref = lensing_prefactor(c);
  const std::vector<double> ell = {2, 30, 500, 8000};
  struct Case {
    double chi_min, chi_max, k_max;
  };
  for (const Case& k : {Case{0, 0, INFINITY}, Case{100, 0, INFINITY},
                        Case{0, 0.5 * chi_s, INFINITY}, Case{50, 0.8 * chi_s, 2.0}}) {
    LimberOptions o;
    o.chi_min = k.chi_min;
    o.chi_max = k.chi_max;
    o.k_max = k.k_max;
    const std::vector<double> cl = limber_kappa_cl(c, pl, s, ell, o);
    for (std::size_t i = 0; i < ell.size(); ++i) {
      const double L = ell[i] + 0.5;
      const double lo = std::max(k.chi_min, L / k.k_max);
      const double hi = k.chi_max > 0 ? k.chi_max : chi_s;
      const double expect =
          lo < hi ? pref * pref * A * std::pow(L, n) * kernel_integral(lo, hi, chi_s, -n) : 0.0;
      if (expect == 0.0) {
        EXPECT_EQ(cl[i], 0.0) << ell[i];
      } else {
        EXPECT_LT(rel(cl[i], expect), 1e-7) << "ell " << ell[i] << " chi_min " << k.chi_min
                                            << " chi_max " << k.chi_max << " k_max " << k.k_max;
      }
    }
  }
  // Without the a^2: C(ell2) / C(ell1) = ((ell2 + 1/2) / (ell1 + 1/2))^n exactly.
  const LimberPower pk = [&](double k, double) { return A * std::pow(k, n); };
  LimberOptions o;
  o.k_max = INFINITY;
  const std::vector<double> cl =
      limber_kappa_cl(c, pk, SourceDistribution::smail(2, 1.5, 0.28), {10, 1000}, o);
  EXPECT_LT(rel(cl[1] / cl[0], std::pow(1000.5 / 10.5, n)), 1e-12);
}

TEST(Limber, SmailAgainstBruteForce) {
  // Independent evaluation: integrate in a instead of chi (dchi = c/H0 da / (a^2 E)), Simpson
  // on 3000 intervals in a, with g from Simpson over the analytic Smail n(z).
  const Cosmology c(planck2015());
  const auto lin = make_linear_power<double>("eisenstein_hu", c);
  const double alpha = 2, beta = 1.5, z0 = 0.28;
  const SourceDistribution s = SourceDistribution::smail(alpha, beta, z0);
  const std::vector<double> ell = {5, 100, 2000};
  const std::vector<double> cl = limber_kappa_cl(c, *lin, s, ell, false);

  const int mz = 2000;
  const double hz = 4.0 / mz;
  std::vector<double> chi_src(mz + 1), wz(mz + 1);
  for (int i = 0; i <= mz; ++i) {
    const double z = i * hz;
    chi_src[i] = c.chi(1.0 / (1.0 + z));
    wz[i] = (i == 0 || i == mz ? 1.0 : (i % 2 ? 4.0 : 2.0)) * hz / 3.0 *
            smail_exact(z, alpha, beta, z0);
  }
  const double pref = lensing_prefactor(c);
  const double a0 = 0.2, a1 = 1.0;
  const int ma = 3000;
  const double ha = (a1 - a0) / ma;
  std::vector<double> ref(ell.size(), 0.0);
  for (int j = 1; j < ma; ++j) {  // the ends contribute nothing (g = 0 at a0, P(k -> inf) at 1)
    const double a = a0 + j * ha;
    const double chi = c.chi(a);
    double g = 0;
    for (int i = 1; i <= mz; ++i) {
      if (chi_src[i] > chi) g += wz[i] * (1.0 - chi / chi_src[i]);
    }
    const double w =
        (j % 2 ? 4.0 : 2.0) * ha / 3.0 * kDH / (a * a * c.E(a)) * pref * pref * g * g / (a * a);
    for (std::size_t l = 0; l < ell.size(); ++l) {
      const double k = (ell[l] + 0.5) / chi;
      if (k <= 1e3) ref[l] += w * lin->power(k, a);
    }
  }
  for (std::size_t l = 0; l < ell.size(); ++l) {
    EXPECT_LT(rel(cl[l], ref[l]), 1e-6) << "ell " << ell[l] << " " << cl[l] << " " << ref[l];
    std::printf("ell %g: C = %.6e, brute force %.6e, rel %.2g\n", ell[l], cl[l], ref[l],
                rel(cl[l], ref[l]));
  }
}

TEST(Limber, QuadratureConverged) {
  const Cosmology c(planck2015());
  const auto lin = make_linear_power<double>("eisenstein_hu", c);
  const std::vector<double> ell = {2, 10, 100, 1000, 10000};
  LimberOptions fine;
  fine.max_dchi /= 2;
  fine.max_dlnchi /= 2;
  for (const SourceDistribution& s :
       {SourceDistribution::plane(1.0), SourceDistribution::smail(2, 1.5, 0.28)}) {
    for (bool hf : {false, true}) {
      const std::vector<double> a = limber_kappa_cl(c, *lin, s, ell, hf);
      const std::vector<double> b = limber_kappa_cl(c, *lin, s, ell, hf, fine);
      double worst = 0;
      for (std::size_t i = 0; i < ell.size(); ++i) {
        EXPECT_LT(rel(a[i], b[i]), 1e-6) << s.name() << " halofit " << hf << " ell " << ell[i];
        worst = std::max(worst, rel(a[i], b[i]));
      }
      std::printf("%s halofit=%d: halved panels change C_ell by <= %.2g\n", s.name().c_str(), hf,
                  worst);
    }
  }
}

TEST(Limber, HalofitInterpolationInA) {
  const Cosmology c(planck2015());
  const auto lin = make_linear_power<double>("eisenstein_hu", c);
  const LimberPower p = halofit_limber_power(*lin, 0.2);
  for (double a : {0.23, 0.37, 0.66, 0.81, 0.995}) {
    const Halofit h(*lin, a);
    for (double k : {0.05, 0.5, 3.0, 30.0}) {
      EXPECT_LT(rel(p(k, a), h.power(k)), 1e-4) << "a " << a << " k " << k;
    }
  }
  expect_invalid([&] { halofit_limber_power(*lin, 1.5); }, {"a_min = 1.5"});
}

TEST(Limber, SanityValues) {
  const Cosmology c(planck2015());
  const auto lin = make_linear_power<double>("eisenstein_hu", c);
  const SourceDistribution s = SourceDistribution::plane(1.0);
  const std::vector<double> ell = {10, 100, 300, 1000};
  const std::vector<double> cl_lin = limber_kappa_cl(c, *lin, s, ell, false);
  const std::vector<double> cl_nl = limber_kappa_cl(c, *lin, s, ell, true);
  for (std::size_t i = 1; i < ell.size(); ++i) {
    EXPECT_GT(cl_nl[i], 1e-10) << ell[i];
    EXPECT_LT(cl_nl[i], 1e-7) << ell[i];
  }
  EXPECT_GT(cl_nl[3], 1.5 * cl_lin[3]);       // nonlinear boost at ell = 1000
  EXPECT_LT(rel(cl_nl[0], cl_lin[0]), 0.05);  // large scales stay linear
  EXPECT_GT(cl_nl[0], cl_nl[3]);              // C_ell falls with ell
  // chi_max restricts the integral: less signal, and chi_max beyond the source changes nothing.
  LimberOptions half;
  half.chi_max = 0.5 * c.chi(0.5);
  EXPECT_LT(limber_kappa_cl(c, *lin, s, {100}, true, half)[0], cl_nl[1]);
  LimberOptions beyond;
  beyond.chi_max = 1e4;
  EXPECT_EQ(limber_kappa_cl(c, *lin, s, {100}, true, beyond)[0],
            limber_kappa_cl(c, *lin, s, {100}, true)[0]);
  // A different cosmology than the spectrum's is refused.
  CosmologyParams other = planck2015();
  other.Omega_m = 0.25;
  expect_invalid([&] { limber_kappa_cl(Cosmology(other), *lin, s, ell, false); },
                 {"Omega_m = 0.25"});
  expect_invalid([&] { limber_kappa_cl(c, *lin, s, {-3}, false); }, {"ell = -3"});
}

}  // namespace
}  // namespace cosmograd::sim
