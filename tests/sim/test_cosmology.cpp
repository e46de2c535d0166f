// Tests for sim/cosmo/cosmology.hpp: parameter validation, analytic limits, independent
// high-accuracy integrals (long double, written here), published numbers, the FastPM factors and
// the parameter derivatives from dual numbers against finite differences.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sim/cosmo/cosmology.hpp"

namespace cosmograd::sim {
namespace {

using LD = long double;
constexpr double kDH = units::hubble_distance;  // c/H0 [Mpc/h]
constexpr double kTH = units::hubble_time_gyr;  // 1/H0 [Gyr/h]

// ---- independent reference computations (long double) ----------------------------------

// Gauss-Legendre nodes and weights of order n on [-1, 1], by Newton's method.
struct GaussLegendre {
  std::vector<LD> x, w;
  explicit GaussLegendre(int n) : x(n), w(n) {
    const LD pi = 3.14159265358979323846264338327950288L;
    for (int i = 0; i < n; ++i) {
      LD z = std::cos(pi * (i + 0.75L) / (n + 0.5L)), dp = 0;
      for (int it = 0; it < 100; ++it) {
        LD p0 = 1, p1 = z;
        for (int k = 2; k <= n; ++k) {
          const LD p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
          p0 = p1;
          p1 = p2;
        }
        dp = n * (z * p1 - p0) / (z * z - 1);
        const LD dz = p1 / dp;
        z -= dz;
        if (std::fabs(dz) < 1e-19L) break;
      }
      x[i] = z;
      w[i] = 2 / ((1 - z * z) * dp * dp);
    }
  }
  LD integrate(const std::function<LD(LD)>& f, LD a, LD b) const {
    const LD c = (a + b) / 2, h = (b - a) / 2;
    LD s = 0;
    for (std::size_t i = 0; i < x.size(); ++i) s += w[i] * f(c + h * x[i]);
    return s * h;
  }
};

// Adaptive Gauss-Legendre: bisect until two halves agree with the whole to rel_tol.
LD adaptive(const std::function<LD(LD)>& f, LD a, LD b, LD rel_tol = 1e-16L) {
  static const GaussLegendre gl(20);
  std::function<LD(LD, LD, LD, int)> rec = [&](LD lo, LD hi, LD whole, int depth) -> LD {
    const LD mid = (lo + hi) / 2;
    const LD left = gl.integrate(f, lo, mid), right = gl.integrate(f, mid, hi);
    if (depth > 40 || std::fabs(left + right - whole) <= rel_tol * std::fabs(left + right)) {
      return left + right;
    }
    return rec(lo, mid, left, depth + 1) + rec(mid, hi, right, depth + 1);
  };
  return rec(a, b, gl.integrate(f, a, b), 0);
}

// The background of a parameter set, evaluated independently in long double.
struct RefBackground {
  LD om, or_, ok, ode, w0, wa;
  explicit RefBackground(const CosmologyParams& p) {
    om = p.Omega_m;
    or_ = p.radiation ? omega_radiation_h2(p.T_cmb, p.N_eff) / (LD(p.h) * p.h) : 0;
    ok = p.Omega_k;
    ode = 1 - om - or_ - ok;
    w0 = p.w0;
    wa = p.wa;
  }
  LD E2(LD a) const {
    return om / (a * a * a) + or_ / (a * a * a * a) + ok / (a * a) +
           ode * std::pow(a, -3 * (1 + w0 + wa)) * std::exp(-3 * wa * (1 - a));
  }
  LD E(LD a) const { return std::sqrt(E2(a)); }
  LD dlnE(LD a) const {
    const LD de = ode * std::pow(a, -3 * (1 + w0 + wa)) * std::exp(-3 * wa * (1 - a));
    return (-3 * om / (a * a * a) - 4 * or_ / (a * a * a * a) - 2 * ok / (a * a) -
            3 * (1 + w0 + wa * (1 - a)) * de) /
           (2 * E2(a));
  }
  // int_a^1 da'/(a'^2 E) [c/H0], with a' = u^2 so the integrand is smooth.
  LD chi(LD a) const {
    return adaptive([&](LD u) { return 2 * u / (u * u * u * u * E(u * u)); }, std::sqrt(a), 1);
  }
  // int_0^a da'/(a' E) [1/H0].
  LD age(LD a) const {
    return adaptive([&](LD u) { return 2 / (u * E(u * u)); }, 0, std::sqrt(a));
  }
  // int_0^a da'/(a' E)^3.
  LD growth_integral(LD a) const {
    return adaptive(
        [&](LD u) {
          const LD ae = u * u * E(u * u);
          return 2 * u / (ae * ae * ae);
        },
        0, std::sqrt(a));
  }
  // Heath (1977) / Eisenstein (1997): D1 = 5/2 Om E int_0^a da/(a E)^3, exact for matter +
  // curvature + Lambda (no radiation); normalised so that D1 -> a as a -> 0.
  LD heath_D1(LD a) const { return 2.5L * om * E(a) * growth_integral(a); }
  // f = dlnD/dlna = dlnE/dlna + 1 / (a^2 E^3 I).
  LD heath_f1(LD a) const {
    const LD e = E(a);
    return dlnE(a) + 1 / (a * a * e * e * e * growth_integral(a));
  }
};

// Independent growth integration: fixed-step RK4 in long double on (D1, D1', D2, D2') from
// a_start (where D1 = a, D2 = -3/7 a^2 holds to the needed accuracy) to a, steps of `ds`.
std::array<LD, 4> reference_growth(const RefBackground& bg, LD a_start, LD a, LD ds) {
  std::array<LD, 4> y = {a_start, a_start, -3 * a_start * a_start / 7, -6 * a_start * a_start / 7};
  auto rhs = [&](LD s, const std::array<LD, 4>& v) {
    const LD aa = std::exp(s);
    const LD fr = 2 + bg.dlnE(aa), src = 1.5L * bg.om / (aa * aa * aa * bg.E2(aa));
    return std::array<LD, 4>{v[1], src * v[0] - fr * v[1], v[3],
                             src * (v[2] - v[0] * v[0]) - fr * v[3]};
  };
  const LD s0 = std::log(a_start), s1 = std::log(a);
  const int n = static_cast<int>(std::ceil((s1 - s0) / ds));
  const LD h = (s1 - s0) / n;
  for (int i = 0; i < n; ++i) {
    const LD s = s0 + i * h;
    std::array<LD, 4> t, k1 = rhs(s, y), k2, k3, k4;
    for (int j = 0; j < 4; ++j) t[j] = y[j] + h / 2 * k1[j];
    k2 = rhs(s + h / 2, t);
    for (int j = 0; j < 4; ++j) t[j] = y[j] + h / 2 * k2[j];
    k3 = rhs(s + h / 2, t);
    for (int j = 0; j < 4; ++j) t[j] = y[j] + h * k3[j];
    k4 = rhs(s + h, t);
    for (int j = 0; j < 4; ++j) y[j] += h / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
  }
  return y;
}

double rel(double x, double ref) { return std::fabs(x / ref - 1.0); }

CosmologyParams lcdm() { return planck2015(); }
CosmologyParams eds() {
  CosmologyParams p = planck2015();
  p.Omega_m = 1.0;
  return p;
}
CosmologyParams w0wa() {
  CosmologyParams p = planck2015();
  p.w0 = -0.9;
  p.wa = 0.1;
  return p;
}

// ---- validation ------------------------------------------------------------------------

// Expects validate() and the constructor to throw invalid_argument mentioning all `parts`.
void expect_invalid(const CosmologyParams& p, const std::vector<std::string>& parts) {
  for (int pass = 0; pass < 2; ++pass) {
    try {
      if (pass == 0) {
        p.validate();
      } else {
        Cosmology c(p);
      }
      ADD_FAILURE() << "no exception for expected '" << parts[0] << "'";
    } catch (const std::invalid_argument& e) {
      const std::string msg = e.what();
      for (const auto& part : parts) {
        EXPECT_NE(msg.find(part), std::string::npos) << "'" << part << "' not in: " << msg;
      }
    }
  }
}

TEST(CosmologyParams, DefaultsArePlanck2015AndValid) {
  const CosmologyParams p;
  EXPECT_EQ(p.Omega_m, 0.3089);
  EXPECT_EQ(p.h, 0.6774);
  EXPECT_EQ(planck2015().sigma8, 0.8159);
  EXPECT_NEAR(planck2015().Omega_b * 0.6774 * 0.6774, 0.02230, 1e-5);  // Omega_b h^2
  EXPECT_NO_THROW(p.validate());
  EXPECT_NO_THROW(seed_duals(p).validate());
}

TEST(CosmologyParams, BadValuesThrowWithNameValueAndRange) {
  auto with = [](auto edit) {
    CosmologyParams p = planck2015();
    edit(p);
    return p;
  };
  expect_invalid(with([](auto& p) { p.Omega_m = -0.1; }),
                 {"cosmology: Omega_m = -0.1 is out of range", "0 < Omega_m <= 1"});
  expect_invalid(with([](auto& p) { p.Omega_m = 1.2; }), {"Omega_m = 1.2"});
  expect_invalid(with([](auto& p) { p.Omega_m = std::nan(""); }), {"Omega_m = nan"});
  expect_invalid(with([](auto& p) { p.Omega_b = 0.4; }), {"Omega_b = 0.4", "Omega_m = 0.3089"});
  expect_invalid(with([](auto& p) { p.h = 2.0; }), {"h = 2", "0.2 < h < 1.5"});
  expect_invalid(with([](auto& p) { p.h = INFINITY; }), {"h = inf"});
  expect_invalid(with([](auto& p) { p.n_s = 0.1; }), {"n_s = 0.1"});
  expect_invalid(with([](auto& p) { p.sigma8 = 0.0; }), {"sigma8 = 0", "0 < sigma8 < 3"});
  expect_invalid(with([](auto& p) { p.w0 = -4.0; }), {"w0 = -4"});
  expect_invalid(with([](auto& p) { p.wa = 3.5; }), {"wa = 3.5"});
  expect_invalid(with([](auto& p) { p.w0 = -0.5, p.wa = 0.6; }), {"w0 + wa = 0.1"});
  expect_invalid(with([](auto& p) { p.w0 = -0.1, p.wa = 0.09; }),
                 {"w0 + wa = -0.01", "dark energy subdominant"});
  expect_invalid(with([](auto& p) { p.Omega_k = 0.6; }), {"Omega_k = 0.6"});
  expect_invalid(with([](auto& p) { p.T_cmb = 0.0; }), {"T_cmb = 0"});
  expect_invalid(with([](auto& p) { p.N_eff = -1.0; }), {"N_eff = -1"});
  expect_invalid(with([](auto& p) { p.A_s = -2e-9; }), {"A_s = -2e-09"});
  // A recollapsing universe: E^2 < 0 before a = 2.
  expect_invalid(with([](auto& p) { p.Omega_m = 1.0, p.Omega_k = 0.45; }), {"E(a)^2", "<= 0"});
  // Duals are validated on their values.
  auto q = seed_duals(planck2015());
  q.sigma8 = CosmoDual(-1.0);
  EXPECT_THROW(q.validate(), std::invalid_argument);
  EXPECT_NO_THROW(with([](auto& p) { p.A_s = 2.1e-9; }).validate());
}

TEST(Cosmology, ScaleFactorOutsideTheTablesThrows) {
  const Cosmology c(lcdm());
  EXPECT_THROW(c.E(0.0), std::out_of_range);
  EXPECT_THROW(c.D1(-1.0), std::out_of_range);
  EXPECT_THROW(c.chi(2.5), std::out_of_range);
  EXPECT_THROW(c.age(std::nan("")), std::out_of_range);
  EXPECT_NO_THROW(c.E(10.0));  // analytic
  EXPECT_NO_THROW(c.D1(c.a_max()));
  EXPECT_NO_THROW(c.D1(1e-12));  // analytic early-time solution
  EXPECT_EQ(c.a_min(), 1e-8);
  EXPECT_EQ(c.a_max(), 2.0);
}

TEST(CosmoParamNames, AreTheFieldNames) {
  EXPECT_STREQ(cosmo_param_name(CosmoParam::Omega_m), "Omega_m");
  EXPECT_STREQ(cosmo_param_name(CosmoParam::sigma8), "sigma8");
  EXPECT_STREQ(cosmo_param_name(CosmoParam::wa), "wa");
  auto p = planck2015();
  param(p, CosmoParam::w0) = -0.8;
  EXPECT_EQ(p.w0, -0.8);
}

// ---- analytic limits ---------------------------------------------------------------------

TEST(Cosmology, EinsteinDeSitterIsExact) {
  const Cosmology c(eds());
  for (double a : {1e-10, 1e-6, 1e-3, 0.05, 0.3, 0.77, 1.0, 1.5, 2.0}) {
    SCOPED_TRACE(a);
    EXPECT_LT(rel(c.D1(a), a), 1e-6);
    EXPECT_NEAR(c.f1(a), 1.0, 1e-6);
    EXPECT_LT(rel(c.D2(a), -3.0 / 7.0 * a * a), 1e-6);
    EXPECT_NEAR(c.f2(a), 2.0, 1e-6);
    EXPECT_LT(rel(c.E(a), std::pow(a, -1.5)), 1e-14);
    // chi = 2 c/H0 (1 - sqrt(a)), t = 2/(3 H0) a^1.5.
    EXPECT_NEAR(c.chi(a), 2.0 * kDH * (1.0 - std::sqrt(a)), 1e-6 * 2.0 * kDH);
    EXPECT_LT(rel(c.age(a), 2.0 / 3.0 * kTH / 0.6774 * std::pow(a, 1.5)), 1e-6);
    EXPECT_LT(rel(c.G_D(a), std::pow(a, 1.5)), 1e-6);  // a^2 E D1' = a^1.5
    EXPECT_LT(rel(c.G_K(a), 1.5 * a), 1e-6);
    EXPECT_LT(rel(c.D1_norm(a), a), 1e-6);
    EXPECT_LT(rel(c.D2_norm(a), -3.0 / 7.0 * a * a), 1e-6);
    EXPECT_NEAR(value(c.Omega_m_a(a)), 1.0, 1e-14);
  }
  EXPECT_EQ(c.Omega_r(), 0.0);
  EXPECT_NEAR(c.Omega_de(), 0.0, 1e-16);
}

TEST(Cosmology, MatterPlusRadiationGivesTheMeszarosGrowingMode) {
  // Omega_m + Omega_r = 1, flat, no dark energy: D1 = a + 2/3 a_eq exactly (Meszaros 1974).
  CosmologyParams p = planck2015();
  p.radiation = true;
  p.Omega_m = 1.0 - omega_radiation_h2(p.T_cmb, p.N_eff) / (p.h * p.h);
  const Cosmology c(p);
  EXPECT_NEAR(c.Omega_de(), 0.0, 1e-15);
  const double a_eq = c.Omega_r() / p.Omega_m;
  for (double a : {1e-9, 1e-7, 1e-5, 1e-4, 1e-3, 0.1, 1.0, 2.0}) {
    SCOPED_TRACE(a);
    EXPECT_LT(rel(c.D1(a), a + 2.0 / 3.0 * a_eq), 1e-8);
    EXPECT_LT(rel(c.f1(a), a / (a + 2.0 / 3.0 * a_eq)), 1e-8);
  }
  // D2 starts at zero, D2 = a_eq^2 (-2/3 y - 1/2 y^2 + ...) with y = a/a_eq, and approaches
  // -3/7 D1^2 deep in matter domination.
  for (double a : {1e-10, 1e-9}) {
    const double y = a / a_eq;
    EXPECT_LT(rel(c.D2(a), a_eq * a_eq * (-2.0 / 3.0 * y - 0.5 * y * y)), 1e-9) << a;
  }
  EXPECT_NEAR(c.D2(2.0) / (-3.0 / 7.0 * c.D1(2.0) * c.D1(2.0)), 1.0, 1e-3);
  // ... and solves its ODE (checked in GrowthSolvesItsOdes for other cases); continuity at the
  // start of the table:
  const double am = c.a_min();
  EXPECT_LT(rel(c.D2(am * (1 - 1e-10)), c.D2(am * (1 + 1e-10))), 1e-9);
  // Time and conformal time against the closed forms for matter + radiation.
  const double om = p.Omega_m, orr = c.Omega_r();
  for (double a : {1e-9, 1e-6, 1e-3, 0.5}) {
    const double t = 2.0 / (3.0 * om * om) *
                     ((a * om - 2 * orr) * std::sqrt(a * om + orr) + 2 * std::pow(orr, 1.5));
    EXPECT_LT(rel(c.age(a), t * kTH / p.h), a < 1e-5 ? 1e-6 : 1e-9) << a;  // closed form cancels
    const double eta = 2.0 * (std::sqrt(om * a + orr) - std::sqrt(orr)) / om;
    EXPECT_LT(rel(c.conformal_time(a), eta * kDH), 1e-8) << a;
  }
}

// ---- independent high-accuracy integrals -------------------------------------------------

TEST(Cosmology, LcdmGrowthMatchesTheExactIntegralSolution) {
  for (double ok : {0.0, 0.08, -0.08}) {
    CosmologyParams p = lcdm();
    p.Omega_k = ok;
    const Cosmology c(p);
    const RefBackground ref(p);
    double worst = 0, worst_f = 0;
    for (double a : {1e-7, 1e-4, 0.01, 0.1, 0.25, 0.5, 0.75, 1.0, 1.4, 2.0}) {
      worst = std::max(worst, rel(c.D1(a), double(ref.heath_D1(a))));
      worst_f = std::max(worst_f, rel(c.f1(a), double(ref.heath_f1(a))));
    }
    EXPECT_LT(worst, 1e-8) << "Omega_k = " << ok;  // required 1e-5
    EXPECT_LT(worst_f, 1e-8) << "Omega_k = " << ok;
  }
}

TEST(Cosmology, EarlyDarkEnergySeriesStartMatchesTheExactIntegral) {
  // w = -1/3 dark energy scales like curvature, so Heath's integral is exact; a tiny Omega_m
  // makes rho_de/rho_m = 0.1 already at a_min, stressing the early-time series start.
  CosmologyParams p = lcdm();
  p.Omega_m = 1e-7;
  p.Omega_b = 0.0;
  p.w0 = -1.0 / 3.0;
  const Cosmology c(p);
  const RefBackground ref(p);
  for (double a : {1e-10, 1e-8, 1e-6, 1e-3, 0.5, 1.0}) {
    EXPECT_LT(rel(c.D1(a), double(ref.heath_D1(a))), 1e-8) << a;
    EXPECT_LT(rel(c.f1(a), double(ref.heath_f1(a))), 1e-8) << a;
    EXPECT_LT(rel(c.age(a), double(ref.age(a)) * kTH / p.h), 1e-8) << a;
  }
  // D2 against an independent integration started where the dark energy is negligible.
  const auto y = reference_growth(ref, 1e-30L, 1.0L, 2e-3L);
  EXPECT_LT(rel(c.D2(1.0), double(y[2])), 1e-8);
  EXPECT_LT(rel(c.D1(1.0), double(y[0])), 1e-8);
}

TEST(Cosmology, W0WaGrowthMatchesAnIndependentIntegration) {
  for (const auto& p : {w0wa(), lcdm()}) {
    const Cosmology c(p);
    const RefBackground ref(p);
    for (double a : {0.1, 0.5, 1.0, 2.0}) {
      const auto y = reference_growth(ref, 1e-6L, a, 2e-3L);
      EXPECT_LT(rel(c.D1(a), double(y[0])), 1e-8) << a;
      EXPECT_LT(rel(c.f1(a), double(y[1] / y[0])), 1e-8) << a;
      EXPECT_LT(rel(c.D2(a), double(y[2])), 1e-8) << a;
      EXPECT_LT(rel(c.f2(a), double(y[3] / y[2])), 1e-8) << a;
    }
  }
}

TEST(Cosmology, DistancesAndTimesMatchIndependentIntegrals) {
  CosmologyParams rad = w0wa();
  rad.radiation = true;
  rad.Omega_k = 0.03;
  for (const auto& p : {lcdm(), w0wa(), rad}) {
    const Cosmology c(p);
    const RefBackground ref(p);
    double worst_chi = 0, worst_age = 0;
    for (double a : {1e-6, 1e-3, 0.1, 0.33, 0.5, 0.9, 1.3, 2.0}) {
      worst_chi = std::max(worst_chi, rel(c.chi(a), double(ref.chi(a)) * kDH));
      worst_age = std::max(worst_age, rel(c.age(a), double(ref.age(a)) * kTH / p.h));
      EXPECT_LT(rel(c.lookback_time(a), double(ref.age(1) - ref.age(a)) * kTH / p.h), 1e-8);
      EXPECT_LT(rel(c.E(a), double(ref.E(a))), 1e-14);
      EXPECT_LT(rel(c.dlnE_dlna(a), double(ref.dlnE(a))), 1e-12);
    }
    EXPECT_LT(worst_chi, 1e-9);  // required 1e-6
    EXPECT_LT(worst_age, 1e-9);
  }
}

TEST(Cosmology, CurvedTransverseDistancesFollowSinhAndSin) {
  for (double ok : {0.2, -0.2}) {
    CosmologyParams p = lcdm();
    p.Omega_k = ok;
    const Cosmology c(p);
    const RefBackground ref(p);
    const double sk = std::sqrt(std::fabs(ok));
    for (double a : {0.1, 0.5, 0.8}) {
      const double x = double(ref.chi(a)) * kDH;
      const double dm =
          ok > 0 ? kDH / sk * std::sinh(sk * x / kDH) : kDH / sk * std::sin(sk * x / kDH);
      EXPECT_LT(rel(c.transverse_distance(a), dm), 1e-9) << ok << " " << a;
      EXPECT_LT(rel(c.angular_diameter_distance(a), dm * a), 1e-9);
      EXPECT_LT(rel(c.luminosity_distance(a), dm / a), 1e-9);
      // Open: D_M > chi; closed: D_M < chi.
      EXPECT_TRUE(ok > 0 ? c.transverse_distance(a) > c.chi(a)
                         : c.transverse_distance(a) < c.chi(a));
    }
  }
}

TEST(Cosmology, W0WaExpansionRateHasTheCplClosedForm) {
  const CosmologyParams p = w0wa();
  const Cosmology c(p);
  for (double a : {1e-4, 0.2, 0.6, 1.0, 1.7, 5.0}) {
    const double de =
        (1 - p.Omega_m) * std::pow(a, -3 * (1 + p.w0 + p.wa)) * std::exp(-3 * p.wa * (1 - a));
    EXPECT_LT(rel(c.E(a), std::sqrt(p.Omega_m / (a * a * a) + de)), 1e-14) << a;
    EXPECT_DOUBLE_EQ(c.w(a), p.w0 + p.wa * (1 - a));
    // d ln E / d ln a against a finite difference.
    const double h = 1e-5;
    const double fd = (std::log(c.E(a * std::exp(h))) - std::log(c.E(a * std::exp(-h)))) / (2 * h);
    EXPECT_NEAR(c.dlnE_dlna(a), fd, 1e-8);
  }
  EXPECT_DOUBLE_EQ(c.E(1.0), 1.0);
}

TEST(Cosmology, RadiationDensityFromTheCmbTemperature) {
  CosmologyParams p = lcdm();
  p.radiation = true;
  const Cosmology c(p);
  const double h2 = p.h * p.h;
  // Omega_gamma h^2 = 2.4728e-5 (T/2.7255)^4 (e.g. CLASS, Planck); with N_eff = 3.046 the
  // neutrinos add 0.6918 of that: Omega_r h^2 = 4.18e-5.
  EXPECT_NEAR(c.Omega_gamma() * h2, 2.4728e-5, 0.0005 * 2.4728e-5);
  EXPECT_NEAR(c.Omega_r() * h2, 2.4730e-5 * (1 + 0.22710731766 * 3.046), 1e-4 * 4.18e-5);
  EXPECT_NEAR(omega_gamma_h2(2 * 2.7255) / omega_gamma_h2(2.7255), 16.0, 1e-12);
  EXPECT_NEAR(c.Omega_de(), 1 - p.Omega_m - c.Omega_r(), 1e-16);
  for (double a : {1e-6, 1e-3, 0.5, 1.0}) {
    const double e2 = p.Omega_m / (a * a * a) + c.Omega_r() / (a * a * a * a) + c.Omega_de();
    EXPECT_LT(rel(c.E(a), std::sqrt(e2)), 1e-14);
  }
  // Switched off, the background is exactly matter + Lambda.
  const Cosmology off(lcdm());
  EXPECT_EQ(off.Omega_r(), 0.0);
  EXPECT_EQ(off.Omega_gamma(), 0.0);
  EXPECT_DOUBLE_EQ(off.E(0.5), std::sqrt(0.3089 / 0.125 + (1 - 0.3089)));
}

// ---- published numbers -------------------------------------------------------------------

TEST(Cosmology, PlanckAgeAndGrowthRate) {
  const CosmologyParams p = lcdm();
  const Cosmology c(p);
  // Flat LCDM without radiation: t = 2/(3 H0 sqrt(OL)) asinh(sqrt(OL/Om) a^1.5) exactly.
  const double ol = 1 - p.Omega_m;
  for (double a : {0.01, 0.5, 1.0, 2.0}) {
    const double t =
        2.0 / (3.0 * std::sqrt(ol)) * std::asinh(std::sqrt(ol / p.Omega_m) * std::pow(a, 1.5));
    EXPECT_LT(rel(c.age(a), t * kTH / p.h), 1e-9) << a;
  }
  EXPECT_NEAR(c.age(1.0), 13.80, 0.01);
  // Planck 2015 XIII Table 4 (TT,TE,EE+lowP+lensing+ext): age 13.799 +- 0.021 Gyr (with
  // radiation and massive neutrinos; ours has massless ones).
  CosmologyParams pr = p;
  pr.radiation = true;
  EXPECT_NEAR(Cosmology(pr).age(1.0), 13.799, 0.021);
  // Linder (2005): f = Omega_m(a)^0.55 is accurate to a few 1e-3 for LCDM.
  EXPECT_NEAR(c.f1(1.0), std::pow(p.Omega_m, 0.55), 5e-3);
  EXPECT_NEAR(c.f1(0.5), std::pow(value(c.Omega_m_a(0.5)), 0.55), 5e-3);
  // Hubble time 1/H0 = 9.7779 Gyr/h.
  EXPECT_NEAR(c.hubble_time() * p.h, 9.777922216807891, 1e-12);
}

// ---- FastPM factors and the ODEs ---------------------------------------------------------

TEST(Cosmology, FastPmFactorsMatchTheirDefinitions) {
  CosmologyParams curved = w0wa();
  curved.Omega_k = -0.05;
  curved.radiation = true;
  for (const auto& p : {lcdm(), w0wa(), curved}) {
    const Cosmology c(p);
    const double h = 1e-4;
    for (double a : {0.02, 0.1, 0.5, 1.0, 1.8}) {
      SCOPED_TRACE(a);
      // G_K = 3/2 Omega_m D1 (the growth ODE) and = a dG_D/dt / H0 = a E dG_D/dln a.
      EXPECT_LT(rel(c.G_K(a), 1.5 * p.Omega_m * c.D1(a)), 1e-14);
      const double dgd = (c.G_D(a * std::exp(h)) - c.G_D(a * std::exp(-h))) / (2 * h);
      EXPECT_LT(rel(c.G_K(a), a * c.E(a) * dgd), 1e-6);  // Hermite derivative ~ ds^3
      // G_D = a^3 E dD1/da, with dD1/da by finite differences.
      const double da = 1e-5 * a;
      const double dd1 = (c.D1(a + da) - c.D1(a - da)) / (2 * da);
      EXPECT_LT(rel(c.G_D(a), a * a * a * c.E(a) * dd1), 1e-7);
      const double dd2 = (c.D2(a + da) - c.D2(a - da)) / (2 * da);
      EXPECT_LT(rel(c.G_D2(a), a * a * a * c.E(a) * dd2), 1e-7);
      EXPECT_LT(rel(c.D1_norm(a), c.D1(a) / c.D1(1.0)), 1e-14);
      EXPECT_LT(rel(c.D2_norm(a), c.D2(a) / (c.D1(1.0) * c.D1(1.0))), 1e-14);
    }
  }
}

TEST(Cosmology, GrowthSolvesItsOdes) {
  // Residuals of D'' + (2 + E'/E) D' - 3/2 Omega_m(a) D = source with D'' by finite
  // differences of the interpolated D' = f D, across radiation, curvature and w0-wa.
  CosmologyParams rad = w0wa();
  rad.radiation = true;
  rad.Omega_k = 0.1;
  CosmologyParams edge = lcdm();  // w0 + wa close to 0: dark energy matters early on
  edge.w0 = -0.3;
  edge.wa = 0.25;
  for (const auto& p : {w0wa(), rad, edge}) {
    const Cosmology c(p);
    const double h = 1e-4;
    for (double a : {1e-8, 1e-6, 1e-4, 1e-2, 0.3, 1.0, 1.9}) {
      SCOPED_TRACE(a);
      auto d1p = [&](double s) { return c.f1(std::exp(s)) * c.D1(std::exp(s)); };
      auto d2p = [&](double s) { return c.f2(std::exp(s)) * c.D2(std::exp(s)); };
      const double s = std::log(a);
      const double d1pp = (d1p(s + h) - d1p(s - h)) / (2 * h);
      const double d2pp = (d2p(s + h) - d2p(s - h)) / (2 * h);
      const double fr = 2 + c.dlnE_dlna(a), src = 1.5 * c.Omega_m_a(a);
      const double D1 = c.D1(a), D2 = c.D2(a);
      const double r1 = d1pp + fr * d1p(s) - src * D1;
      const double r2 = d2pp + fr * d2p(s) + src * (D1 * D1 - D2);
      EXPECT_LT(std::fabs(r1), 1e-6 * (std::fabs(d1pp) + std::fabs(src * D1)));
      EXPECT_LT(std::fabs(r2), 1e-6 * (std::fabs(d2pp) + std::fabs(src * D1 * D1)));
    }
    // Continuity between the early-time solution and the table.
    const double am = c.a_min();
    EXPECT_LT(rel(c.D1(am * (1 - 1e-12)), c.D1(am * (1 + 1e-12))), 1e-10);
    EXPECT_LT(rel(c.D2(am * (1 - 1e-12)), c.D2(am * (1 + 1e-12))), 1e-10);
    EXPECT_LT(rel(c.age(am * (1 - 1e-12)), c.age(am * (1 + 1e-12))), 1e-10);
    EXPECT_LT(rel(c.chi(am * (1 - 1e-12)), c.chi(am * (1 + 1e-12))), 1e-12);
  }
}

// ---- derivatives -------------------------------------------------------------------------

struct Quantity {
  const char* name;
  std::function<double(const Cosmology&, double)> f;
  std::function<CosmoDual(const CosmologyDual&, double)> fd;
};

Quantity make_quantity(const char* name, std::function<double(const Cosmology&, double)> f,
                       std::function<CosmoDual(const CosmologyDual&, double)> fd) {
  return Quantity{name, std::move(f), std::move(fd)};
}

#define QUANTITY(fn)                                             \
  make_quantity(                                                 \
      #fn, [](const Cosmology& c, double a) { return c.fn(a); }, \
      [](const CosmologyDual& c, double a) { return c.fn(a); })

const std::vector<Quantity>& quantities() {
  static const std::vector<Quantity> q = {
      QUANTITY(E),
      QUANTITY(dlnE_dlna),
      QUANTITY(Omega_m_a),
      QUANTITY(chi),
      QUANTITY(transverse_distance),
      QUANTITY(angular_diameter_distance),
      QUANTITY(luminosity_distance),
      QUANTITY(age),
      QUANTITY(lookback_time),
      QUANTITY(D1),
      QUANTITY(f1),
      QUANTITY(D2),
      QUANTITY(f2),
      QUANTITY(D1_norm),
      QUANTITY(D2_norm),
      QUANTITY(G_D),
      QUANTITY(G_K),
      QUANTITY(G_D2),
  };
  return q;
}
#undef QUANTITY

void check_derivatives(const CosmologyParams& base, const char* label) {
  SCOPED_TRACE(label);
  const CosmologyDual cd(seed_duals(base));
  const Cosmology c0(base);
  const std::vector<double> as = {1e-9, 0.05, 0.3, 0.7, 1.6};
  for (int i = 0; i < kNumCosmoParams; ++i) {
    const auto which = static_cast<CosmoParam>(i);
    const double x0 = param(base, which);
    const double step = 1e-4 * std::max(std::fabs(x0), 0.1);
    CosmologyParams plus = base, minus = base;
    param(plus, which) = x0 + step;
    param(minus, which) = x0 - step;
    const Cosmology cp(plus), cm(minus);
    for (const auto& q : quantities()) {
      for (double a : as) {
        const CosmoDual v = q.fd(cd, a);
        const double ref = q.f(c0, a);
        EXPECT_LT(std::fabs(v.v - ref), 1e-13 * std::fabs(ref) + 1e-300)
            << q.name << " value at a = " << a;
        const double fd = (q.f(cp, a) - q.f(cm, a)) / (2 * step);
        // Relative 1e-5, or absolute 1e-9 of the quantity per unit parameter when ~0.
        EXPECT_NEAR(v.d[i], fd, 1e-5 * std::fabs(fd) + 1e-9 * std::fabs(ref))
            << "d " << q.name << " / d " << cosmo_param_name(which) << " at a = " << a;
      }
    }
  }
}

TEST(CosmologyDerivatives, MatchFiniteDifferencesLcdm) { check_derivatives(lcdm(), "LCDM"); }

TEST(CosmologyDerivatives, MatchFiniteDifferencesW0WaOpenWithRadiation) {
  CosmologyParams p = w0wa();
  p.Omega_k = 0.05;
  p.radiation = true;
  check_derivatives(p, "w0wa, open, radiation");
}

TEST(CosmologyDerivatives, MatchFiniteDifferencesClosedW0Wa) {
  CosmologyParams p = w0wa();
  p.Omega_m = 0.25;
  p.w0 = -1.1;
  p.wa = -0.4;
  p.Omega_k = -0.07;
  check_derivatives(p, "w0wa, closed");
}

TEST(CosmologyDerivatives, OnlyBackgroundParametersHaveDerivatives) {
  CosmologyParams p = w0wa();
  const CosmologyDual c(seed_duals(p));
  EXPECT_EQ(deriv(c.params().Omega_m, 0), 1.0);
  for (double a : {0.1, 1.5}) {
    for (auto which : {CosmoParam::Omega_b, CosmoParam::n_s, CosmoParam::sigma8}) {
      const int i = static_cast<int>(which);
      EXPECT_EQ(c.D1(a).d[i], 0.0);
      EXPECT_EQ(c.chi(a).d[i], 0.0);
      EXPECT_EQ(c.age(a).d[i], 0.0);
    }
    // Without radiation h enters only through 1/H0 in times.
    const int ih = static_cast<int>(CosmoParam::h);
    EXPECT_EQ(c.D1(a).d[ih], 0.0);
    EXPECT_NEAR(c.age(a).d[ih], -c.age(a).v / p.h, 1e-12);
    EXPECT_NE(c.D1(a).d[static_cast<int>(CosmoParam::wa)], 0.0);
  }
}

TEST(CosmologyDerivatives, DualConstructionIsFast) {
  const auto t0 = std::chrono::steady_clock::now();
  const CosmologyDual c(seed_duals(w0wa()));
  const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(dt, 0.1) << "dual Cosmology construction took " << dt << " s";
  EXPECT_GT(c.D1(1.0).v, 0.0);
}

}  // namespace
}  // namespace cosmograd::sim
