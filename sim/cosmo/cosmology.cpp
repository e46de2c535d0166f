// Background, distances, times and growth; see cosmology.hpp for the conventions.
//
// Method.  One ODE system in s = ln a is integrated by fixed-step classical RK4 from a_min =
// 1e-8 to just beyond a_max = 2, with step ds ~ 0.01 chosen so that a = 1 is a node:
//   eta' = 1/(a E)                                  conformal time [c/H0]
//   t'   = 1/E                                      cosmic time [1/H0]
//   D1'' + (2 + E'/E) D1' - 3/2 Omega_m(a) D1 = 0                    (Peebles 1980, sec. 10)
//   D2'' + (2 + E'/E) D2' - 3/2 Omega_m(a) D2 = -3/2 Omega_m(a) D1^2  (Bouchet et al. 1995)
// Only matter clusters; E(a) is analytic (below), so the same equations hold for w0-wa dark
// energy, curvature and radiation.  Each node stores every quantity and its exact derivative
// d/ds (the right-hand side), and queries use cubic Hermite interpolation in s.  The starting
// values at a_min and all queries below a_min come from the analytic early-time solutions in
// early_state().  With the step used, RK4 and interpolation errors are ~1e-10 relative (see
// tests/sim/test_cosmology.cpp for the measured accuracies).
#include "sim/cosmo/cosmology.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

namespace cosmograd::sim {
namespace {

constexpr double kAMin = 1e-8;  // first table node
constexpr double kAMax = 2.0;   // largest a accepted by table-based queries
constexpr double kStep = 0.01;  // target step in ln a
constexpr int kMaxSeriesTerms = 400;
// Largest |rho_de / rho_m| allowed at a_min (the early-time series converges for |x| < 1).
constexpr double kMaxEarlyDeRatio = 0.5;
// Largest |Omega_k / Omega_m| a_min (curvature enters the early-time start at first order).
constexpr double kMaxEarlyCurvRatio = 1e-4;
// First-order curvature terms of the matter-dominated growing modes, y = (Omega_k/Omega_m) a:
// D1 = a (1 - 4/7 y), D2 = -3/7 a^2 (1 - 10/9 y) (series solution of the growth ODEs with
// E^2 = Omega_m a^-3 (1 + y); same recursion as for dark energy below, with n = 1).
constexpr double kCurv1 = -4.0 / 7.0;
constexpr double kCurv2 = 10.0 / 21.0;

std::string fmt(double x) {
  std::ostringstream os;
  os.precision(10);
  os << x;
  return os.str();
}

void require(bool ok, const char* name, double v, const std::string& allowed) {
  if (ok) return;
  throw std::invalid_argument(std::string("cosmology: ") + name + " = " + fmt(v) +
                              " is out of range (allowed: " + allowed + ")");
}

std::string recollapse_message(double e2, double a, double om, double ok, double ode) {
  return "cosmology: E(a)^2 = " + fmt(e2) + " <= 0 at a = " + fmt(a) + " for Omega_m = " + fmt(om) +
         ", Omega_k = " + fmt(ok) + ", Omega_de = " + fmt(ode) +
         " (allowed: parameters with H(a)^2 > 0 for 0 < a <= 2; this universe recollapses or "
         "bounces)";
}

// Cubic Hermite interpolation on [0, 1] with values y0, y1 and slopes (times the interval
// length) m0, m1.
template <class S>
S hermite(double t, const S& y0, const S& m0, const S& y1, const S& m1, double h) {
  const double t2 = t * t, t3 = t2 * t;
  const double h00 = 2.0 * t3 - 3.0 * t2 + 1.0;
  const double h10 = (t3 - 2.0 * t2 + t) * h;
  const double h01 = -2.0 * t3 + 3.0 * t2;
  const double h11 = (t3 - t2) * h;
  return h00 * y0 + h10 * m0 + h01 * y1 + h11 * m1;
}

}  // namespace

const char* cosmo_param_name(CosmoParam p) {
  switch (p) {
    case CosmoParam::Omega_m:
      return "Omega_m";
    case CosmoParam::Omega_b:
      return "Omega_b";
    case CosmoParam::h:
      return "h";
    case CosmoParam::n_s:
      return "n_s";
    case CosmoParam::sigma8:
      return "sigma8";
    case CosmoParam::w0:
      return "w0";
    case CosmoParam::wa:
      return "wa";
  }
  return "unknown";
}

double omega_gamma_h2(double T_cmb) {
  // rho_gamma = a_rad T^4 / c^2 with a_rad = 4 sigma_SB / c (Stefan-Boltzmann law), divided by
  // rho_crit / h^2 = 3 H100^2 / (8 pi G); CODATA 2018 sigma_SB (exact) and G, IAU 2015 Mpc.
  // For T = 2.7255 K this gives 2.4730e-5 (Fixsen 2009 temperature; cf. Dodelson 2003 eq. 2.70).
  constexpr double sigma_sb_cgs = 5.670374419e-5;  // erg cm^-2 s^-1 K^-4
  constexpr double c_cgs = 2.99792458e10;          // cm/s
  constexpr double pi = 3.14159265358979323846;
  constexpr double h100 = 1.0e7 / units::mpc_cm;  // 100 km/s/Mpc in s^-1
  constexpr double rho_crit_h2_cgs = 3.0 * h100 * h100 / (8.0 * pi * units::G_cgs);  // g/cm^3
  const double t2 = T_cmb * T_cmb;
  const double rho_gamma = 4.0 * sigma_sb_cgs * t2 * t2 / (c_cgs * c_cgs * c_cgs);
  return rho_gamma / rho_crit_h2_cgs;
}

double omega_radiation_h2(double T_cmb, double N_eff) {
  // Massless neutrinos: rho_nu = 7/8 (4/11)^(4/3) N_eff rho_gamma (Dodelson 2003 eq. 2.80ff;
  // Mangano et al. 2005 for N_eff = 3.046).
  return omega_gamma_h2(T_cmb) * (1.0 + 7.0 / 8.0 * std::pow(4.0 / 11.0, 4.0 / 3.0) * N_eff);
}

CosmologyParams planck2015() {
  // Planck 2015 XIII (Ade et al. 2016), Table 4, TT,TE,EE+lowP+lensing+ext:
  // Omega_m = 0.3089, h = 0.6774, n_s = 0.9667, sigma8 = 0.8159, Omega_b h^2 = 0.02230.
  CosmologyParams p;
  p.Omega_m = 0.3089;
  p.Omega_b = 0.0486;
  p.h = 0.6774;
  p.n_s = 0.9667;
  p.sigma8 = 0.8159;
  p.w0 = -1.0;
  p.wa = 0.0;
  p.Omega_k = 0.0;
  p.T_cmb = 2.7255;
  p.N_eff = 3.046;
  return p;
}

CosmologyParamsT<CosmoDual> seed_duals(const CosmologyParams& p) {
  CosmologyParamsT<CosmoDual> q;
  for (int i = 0; i < kNumCosmoParams; ++i) {
    const auto which = static_cast<CosmoParam>(i);
    param(q, which) = CosmoDual::variable(param(p, which), i);
  }
  q.Omega_k = p.Omega_k;
  q.T_cmb = p.T_cmb;
  q.N_eff = p.N_eff;
  q.radiation = p.radiation;
  q.A_s = p.A_s;
  return q;
}

template <class S>
void CosmologyParamsT<S>::validate() const {
  const double om = value(Omega_m), ob = value(Omega_b), hh = value(h), ns = value(n_s),
               s8 = value(sigma8), w0v = value(w0), wav = value(wa);
  require(om > 0.0 && om <= 1.0, "Omega_m", om, "0 < Omega_m <= 1");
  require(ob >= 0.0 && ob < om, "Omega_b", ob, "0 <= Omega_b < Omega_m = " + fmt(om));
  require(hh > 0.2 && hh < 1.5, "h", hh, "0.2 < h < 1.5");
  require(ns > 0.5 && ns < 1.5, "n_s", ns, "0.5 < n_s < 1.5");
  require(s8 > 0.0 && s8 < 3.0, "sigma8", s8, "0 < sigma8 < 3");
  require(w0v > -3.0 && w0v < 1.0, "w0", w0v, "-3 < w0 < 1");
  require(wav > -3.0 && wav < 3.0, "wa", wav, "-3 < wa < 3");
  require(w0v + wav < 0.0, "w0 + wa", w0v + wav,
          "w0 + wa < 0, so that dark energy is subdominant at early times");
  require(Omega_k > -0.5 && Omega_k < 0.5, "Omega_k", Omega_k, "-0.5 < Omega_k < 0.5");
  require(T_cmb >= 1.0 && T_cmb <= 10.0, "T_cmb", T_cmb,
          "1 <= T_cmb <= 10 [K], so that a_min = 1e-8 is deep in radiation domination");
  require(N_eff >= 0.0 && N_eff <= 10.0, "N_eff", N_eff, "0 <= N_eff <= 10");
  require(A_s == 0.0 || (A_s > 0.0 && A_s < 1e-7), "A_s", A_s, "0 (unused) or 0 < A_s < 1e-7");
  // The growth factors start from analytic early-time solutions at a_min (see early_state).
  const double om_r = radiation ? omega_radiation_h2(T_cmb, N_eff) / (hh * hh) : 0.0;
  const double om_de = 1.0 - om - om_r - Omega_k;
  const double x_min =
      om_de / om * std::exp(-3.0 * wav * (1.0 - kAMin)) * std::pow(kAMin, -3.0 * (w0v + wav));
  require(std::fabs(x_min) <= kMaxEarlyDeRatio, "w0 + wa", w0v + wav,
          "dark energy subdominant at a = 1e-8, |rho_de/rho_m| <= 0.5 there; here it is " +
              fmt(x_min) + ": make w0 + wa more negative");
  require(std::fabs(Omega_k / om) * kAMin <= kMaxEarlyCurvRatio, "Omega_m", om,
          "Omega_m >= 1e4 * |Omega_k| * 1e-8 for the early-time start");
  // H(a)^2 > 0 over the tabulated range (no recollapse or bounce), checked on a fine grid.
  const int n = 4000;
  for (int i = 0; i <= n; ++i) {
    const double a = std::exp(std::log(kAMin) + (std::log(kAMax) - std::log(kAMin)) * i / n);
    const double e2 =
        om / (a * a * a) + om_r / (a * a * a * a) + Omega_k / (a * a) +
        om_de * std::pow(a, -3.0 * (1.0 + w0v + wav)) * std::exp(-3.0 * wav * (1.0 - a));
    if (!(e2 > 0.0)) throw std::invalid_argument(recollapse_message(e2, a, om, Omega_k, om_de));
  }
}

// ---------------------------------------------------------------------------------------------

template <class S>
CosmologyT<S>::CosmologyT(const CosmologyParamsT<S>& p) : p_(p) {
  p_.validate();
  if (p_.radiation) {
    Omega_gamma_ = omega_gamma_h2(p_.T_cmb) / (p_.h * p_.h);
    Omega_r_ = omega_radiation_h2(p_.T_cmb, p_.N_eff) / (p_.h * p_.h);
  }
  Omega_de_ = 1.0 - p_.Omega_m - Omega_r_ - p_.Omega_k;
  build_early_series();

  // Grid: s_i = (i - n_below) ds, so s = 0 (a = 1) is node n_below and node 0 is ln(a_min).
  const int n_below = static_cast<int>(std::ceil(-std::log(kAMin) / kStep));
  ds_ = -std::log(kAMin) / n_below;
  s_min_ = -n_below * ds_;
  const int n_above = static_cast<int>(std::ceil(std::log(kAMax) / ds_)) + 1;
  n_nodes_ = n_below + n_above + 1;
  for (auto* v : {&eta_, &deta_, &t_, &dt_, &d1_, &dd1_, &ddd1_, &d2_, &dd2_, &ddd2_}) {
    v->resize(static_cast<std::size_t>(n_nodes_));
  }

  // y = (eta, t, D1, D1', D2, D2'); the right-hand side of the system in s = ln a.
  using Vec = std::array<S, 6>;
  auto rhs = [](double a, const Background& bg, const Vec& y) {
    const S friction = 2.0 + bg.dlnE;
    const S source = 1.5 * bg.Om_a;
    Vec dy;
    dy[0] = 1.0 / (a * bg.E);
    dy[1] = 1.0 / bg.E;
    dy[2] = y[3];
    dy[3] = source * y[2] - friction * y[3];
    dy[4] = y[5];
    dy[5] = source * (y[4] - y[2] * y[2]) - friction * y[5];
    return dy;
  };
  auto bg_checked = [this](double a) {
    Background bg = background(a);
    if (!(value(bg.E2) > 0.0)) {
      throw std::invalid_argument(
          recollapse_message(value(bg.E2), a, value(p_.Omega_m), p_.Omega_k, value(Omega_de_)));
    }
    return bg;
  };

  const State s0 = early_state(std::exp(s_min_));
  Vec y{s0.eta, s0.t, s0.d1, s0.dd1, s0.d2, s0.dd2};
  double a = std::exp(s_min_);
  Background bg = bg_checked(a);
  for (int i = 0; i < n_nodes_; ++i) {
    const Vec k1 = rhs(a, bg, y);
    const auto u = static_cast<std::size_t>(i);
    eta_[u] = y[0], deta_[u] = k1[0];
    t_[u] = y[1], dt_[u] = k1[1];
    d1_[u] = y[2], dd1_[u] = y[3], ddd1_[u] = k1[3];
    d2_[u] = y[4], dd2_[u] = y[5], ddd2_[u] = k1[5];
    if (i == n_nodes_ - 1) break;
    // Classical RK4 step from s_i to s_{i+1}.
    const double s = s_min_ + i * ds_;
    const double a_half = std::exp(s + 0.5 * ds_);
    const double a_next = std::exp(s_min_ + (i + 1) * ds_);
    const Background bg_half = bg_checked(a_half);
    const Background bg_next = bg_checked(a_next);
    Vec tmp;
    for (int j = 0; j < 6; ++j) tmp[j] = y[j] + (0.5 * ds_) * k1[j];
    const Vec k2 = rhs(a_half, bg_half, tmp);
    for (int j = 0; j < 6; ++j) tmp[j] = y[j] + (0.5 * ds_) * k2[j];
    const Vec k3 = rhs(a_half, bg_half, tmp);
    for (int j = 0; j < 6; ++j) tmp[j] = y[j] + ds_ * k3[j];
    const Vec k4 = rhs(a_next, bg_next, tmp);
    for (int j = 0; j < 6; ++j) y[j] += (ds_ / 6.0) * (k1[j] + 2.0 * (k2[j] + k3[j]) + k4[j]);
    a = a_next;
    bg = bg_next;
  }
  const auto today = static_cast<std::size_t>(n_below);
  eta_today_ = eta_[today];
  t_today_ = t_[today];
  d1_today_ = d1_[today];
}

template <class S>
void CosmologyT<S>::build_early_series() {
  g1_.clear();
  g2_.clear();
  bt_.clear();
  if (p_.radiation) return;  // the radiation-era solutions need no coefficients
  // Matter + dark energy with x(a) = rho_de/rho_m = X a^n, n = -3 (w0 + wa) > 0 at small a
  // (CPL: rho_de ~ a^(-3(1 + w0 + wa)) exp(-3 wa (1 - a)), Linder 2003).  With
  // E^2 = Omega_m a^-3 (1 + x), the growing modes are power series in x (derived here by
  // inserting them into the growth ODEs and matching powers of x):
  //   D1 = a sum_k g1_k x^k,  m_k = 1 + n k,
  //     g1_0 = 1,  P(m_k) g1_k = -m_{k-1} (m_{k-1} + 1/2 + n/2) g1_{k-1},
  //   D2 = a^2 sum_k g2_k x^k,  m_k = 2 + n k,
  //     P(m_k) g2_k = -3/2 (g1*g1)_k - m_{k-1} (m_{k-1} + 1/2 + n/2) g2_{k-1},
  //   with P(m) = m^2 + m/2 - 3/2.  For Lambda (n = 3): D1 = a (1 - 2/11 x + ...) and
  //   D2 = -3/7 a^2 (1 - 51/143 x + ...), the known expansions of D1 and
  //   D2 = -3/7 D1^2 Omega_m^(-1/143) (Bouchet et al. 1995).  Converges for |x| < 1.
  // Time and conformal time use 1/E = a^(3/2)/sqrt(Omega_m) sum_k binom(-1/2, k) x^k.
  n_de_ = -3.0 * (p_.w0 + p_.wa);
  const S x0 =
      Omega_de_ / p_.Omega_m * exp(-3.0 * p_.wa * (1.0 - kAMin)) * exp(n_de_ * std::log(kAMin));
  const double ax = std::fabs(value(x0));
  // Enough terms that |x|^K < 1e-19 (for values and derivatives), at least through k = 1.
  int terms = 2;
  if (ax > 0.0) {
    terms = std::max(2, static_cast<int>(std::ceil(-19.0 * std::log(10.0) / std::log(ax))) + 4);
  }
  terms = std::min(terms, kMaxSeriesTerms);
  const S& n = n_de_;
  g1_.resize(static_cast<std::size_t>(terms));
  g2_.resize(static_cast<std::size_t>(terms));
  bt_.resize(static_cast<std::size_t>(terms));
  g1_[0] = 1.0;
  g2_[0] = -3.0 / 7.0;
  bt_[0] = 1.0;
  for (int k = 1; k < terms; ++k) {
    const auto u = static_cast<std::size_t>(k);
    const S nk = n * static_cast<double>(k);
    // D1: m_k = 1 + n k, P(m_k) = (m_k - 1)(m_k + 3/2) = n k (n k + 5/2).
    const S m1_prev = 1.0 + n * static_cast<double>(k - 1);
    g1_[u] = -m1_prev * (m1_prev + 0.5 + 0.5 * n) * g1_[u - 1] / (nk * (nk + 2.5));
    // D2: m_k = 2 + n k, P(m_k) = (1 + n k)(7/2 + n k).
    S conv = 0.0;
    for (int j = 0; j <= k; ++j) {
      conv += g1_[static_cast<std::size_t>(j)] * g1_[static_cast<std::size_t>(k - j)];
    }
    const S m2_prev = 2.0 + n * static_cast<double>(k - 1);
    g2_[u] = (-1.5 * conv - m2_prev * (m2_prev + 0.5 + 0.5 * n) * g2_[u - 1]) /
             ((1.0 + nk) * (3.5 + nk));
    bt_[u] = bt_[u - 1] * (-(2.0 * k - 1.0) / (2.0 * k));
  }
}

template <class S>
typename CosmologyT<S>::State CosmologyT<S>::early_state(double a) const {
  State st;
  if (p_.radiation) {
    // Matter + radiation (curvature and dark energy are < 1e-5 of the total at a <= a_min).
    // y = a / a_eq, a_eq = Omega_r / Omega_m; u = Omega_m a / Omega_r = y, s = sqrt(1 + y).
    const S a_eq = Omega_r_ / p_.Omega_m;
    const S y = a / a_eq;
    const S s = sqrt(1.0 + y);
    const S sm1 = y / (1.0 + s);  // s - 1 without cancellation
    // eta = int_0^a da/(a^2 E) = 2 (sqrt(Om a + Or) - sqrt(Or)) / Om;
    // t = int_0^a da/(a E) = 2/(3 Om^2) [(a Om - 2 Or) sqrt(a Om + Or) + 2 Or^(3/2)]
    //   = 2/(3 Om^2) Or^(3/2) (s - 1)^2 (s + 2)   (exact for matter + radiation).
    st.eta = 2.0 * a / (sqrt(Omega_r_) * (1.0 + s));
    st.t =
        2.0 / (3.0 * p_.Omega_m * p_.Omega_m) * Omega_r_ * sqrt(Omega_r_) * sm1 * sm1 * (s + 2.0);
    // Growing mode of the Meszaros equation, D1 = a + 2/3 a_eq (Meszaros 1974; Peebles 1980
    // sec. 10; normalised so that D1/a -> 1 deep in matter domination); D1' = a.
    st.d1 = a + (2.0 / 3.0) * a_eq;
    st.dd1 = S(a);
    // D2: the solution of the D2 equation that vanishes as a -> 0 (no homogeneous D1 part:
    // the second-order field is generated by gravity from the frozen first-order one).  With
    // the growth equations written as (1 + y) D'' + y/2 D' - 3/2 y D = -3/2 y D1^2, it is
    // D2 = a_eq^2 sum_{j>=1} c_j y^j with j^2 c_j = r_j - (j-2)(j+1/2) c_{j-1}, r_1 = -2/3,
    // r_2 = -2, r_3 = -3/2 (the coefficients of -3/2 y (2/3 + y)^2), converging for y < 1.
    // Deep in matter domination D2 -> -3/7 D1^2 (1 + O(a_eq / a)).
    const double r[4] = {0.0, -2.0 / 3.0, -2.0, -1.5};
    S sum = 0.0, dsum = 0.0, yj = 1.0;
    double c = 0.0;
    for (int j = 1; j <= kMaxSeriesTerms; ++j) {
      c = ((j <= 3 ? r[j] : 0.0) - (j - 2.0) * (j + 0.5) * c) / (double(j) * j);
      yj *= y;
      const S term = c * yj;
      sum += term;
      dsum += double(j) * term;
      if (j > 3 && std::fabs(value(term)) * j < 1e-19 * std::fabs(value(sum))) break;
    }
    st.d2 = a_eq * a_eq * sum;
    st.dd2 = a_eq * a_eq * dsum;
    return st;
  }
  // Matter + dark energy (+ curvature at first order), series in x (see build_early_series).
  const double ln_a = std::log(a);
  const S x = Omega_de_ / p_.Omega_m * exp(-3.0 * p_.wa * (1.0 - a) + n_de_ * ln_a);
  const S y = S(p_.Omega_k * a) / p_.Omega_m;
  S sg1 = 0.0, sdg1 = 0.0, sg2 = 0.0, sdg2 = 0.0, stime = 0.0, seta = 0.0;
  S xk = 1.0;
  for (std::size_t k = 0; k < g1_.size(); ++k) {
    const S nk = n_de_ * static_cast<double>(k);
    sg1 += g1_[k] * xk;
    sdg1 += (1.0 + nk) * g1_[k] * xk;
    sg2 += g2_[k] * xk;
    sdg2 += (2.0 + nk) * g2_[k] * xk;
    stime += bt_[k] * xk / (1.5 + nk);
    seta += bt_[k] * xk / (0.5 + nk);
    xk *= x;
  }
  const double a15 = a * std::sqrt(a);
  const S inv_sqrt_om = 1.0 / sqrt(p_.Omega_m);
  // 1/E ~ a^1.5/sqrt(Om) [(1 + x)^-1/2 - y/2]; integrate term by term in ln a.
  st.t = inv_sqrt_om * a15 * (stime - 0.5 * y / 2.5);
  st.eta = inv_sqrt_om * std::sqrt(a) * (seta - 0.5 * y / 1.5);
  st.d1 = a * (sg1 + kCurv1 * y);
  st.dd1 = a * (sdg1 + 2.0 * kCurv1 * y);
  st.d2 = a * a * (sg2 + kCurv2 * y);
  st.dd2 = a * a * (sdg2 + 3.0 * kCurv2 * y);
  return st;
}

template <class S>
void CosmologyT<S>::check_a(double a, bool table) const {
  const bool ok = std::isfinite(a) && a > 0.0 && (!table || a <= kAMax);
  if (ok) return;
  throw std::out_of_range("cosmology: a = " + fmt(a) + " is out of range (allowed: " +
                          (table ? std::string("0 < a <= 2") : std::string("a > 0")) + ")");
}

template <class S>
typename CosmologyT<S>::Background CosmologyT<S>::background(double a) const {
  // E^2 = Om a^-3 + Or a^-4 + Ok a^-2 + Ode a^(-3(1 + w0 + wa)) exp(-3 wa (1 - a))
  // (Friedmann equation with CPL dark energy, Chevallier & Polarski 2001, Linder 2003);
  // d E^2/d ln a = -3 Om a^-3 - 4 Or a^-4 - 2 Ok a^-2 - 3 (1 + w(a)) rho_de.
  const double ia = 1.0 / a;
  const double ia2 = ia * ia, ia3 = ia2 * ia;
  const S m = p_.Omega_m * ia3;
  const S r = Omega_r_ * (ia2 * ia2);
  const double k = p_.Omega_k * ia2;
  const S de =
      Omega_de_ * exp(-3.0 * (1.0 + p_.w0 + p_.wa) * std::log(a) - 3.0 * p_.wa * (1.0 - a));
  Background bg;
  bg.E2 = m + r + k + de;
  bg.E = sqrt(bg.E2);
  const S dE2 = -3.0 * m - 4.0 * r - 2.0 * k - 3.0 * (1.0 + p_.w0 + p_.wa * (1.0 - a)) * de;
  bg.dlnE = 0.5 * dE2 / bg.E2;
  bg.Om_a = m / bg.E2;
  return bg;
}

template <class S>
typename CosmologyT<S>::State CosmologyT<S>::table_state(double a) const {
  double u = (std::log(a) - s_min_) / ds_;
  u = std::max(u, 0.0);
  int i = std::min(static_cast<int>(u), n_nodes_ - 2);
  const double t = std::min(u - i, 1.0);
  const auto j = static_cast<std::size_t>(i), k = j + 1;
  State st;
  st.eta = hermite(t, eta_[j], deta_[j], eta_[k], deta_[k], ds_);
  st.t = hermite(t, t_[j], dt_[j], t_[k], dt_[k], ds_);
  st.d1 = hermite(t, d1_[j], dd1_[j], d1_[k], dd1_[k], ds_);
  st.dd1 = hermite(t, dd1_[j], ddd1_[j], dd1_[k], ddd1_[k], ds_);
  st.d2 = hermite(t, d2_[j], dd2_[j], d2_[k], dd2_[k], ds_);
  st.dd2 = hermite(t, dd2_[j], ddd2_[j], dd2_[k], ddd2_[k], ds_);
  return st;
}

template <class S>
typename CosmologyT<S>::State CosmologyT<S>::state(double a) const {
  check_a(a, true);
  if (std::log(a) < s_min_) return early_state(a);
  return table_state(a);
}

template <class S>
const CosmologyParamsT<S>& CosmologyT<S>::params() const {
  return p_;
}
template <class S>
S CosmologyT<S>::Omega_r() const {
  return Omega_r_;
}
template <class S>
S CosmologyT<S>::Omega_de() const {
  return Omega_de_;
}
template <class S>
S CosmologyT<S>::Omega_gamma() const {
  return Omega_gamma_;
}
template <class S>
S CosmologyT<S>::w(double a) const {
  check_a(a, false);
  return p_.w0 + p_.wa * (1.0 - a);  // Chevallier & Polarski 2001; Linder 2003
}
template <class S>
S CosmologyT<S>::E(double a) const {
  check_a(a, false);
  return background(a).E;
}
template <class S>
S CosmologyT<S>::dlnE_dlna(double a) const {
  check_a(a, false);
  return background(a).dlnE;
}
template <class S>
S CosmologyT<S>::Omega_m_a(double a) const {
  check_a(a, false);
  return background(a).Om_a;
}
template <class S>
S CosmologyT<S>::chi(double a) const {
  // chi = c/H0 int_a^1 da'/(a'^2 E(a')) (Hogg 1999 eq. 15); eta(1) - eta(a).
  return units::hubble_distance * (eta_today_ - state(a).eta);
}
template <class S>
S CosmologyT<S>::conformal_time(double a) const {
  return units::hubble_distance * state(a).eta;
}
template <class S>
S CosmologyT<S>::transverse_distance(double a) const {
  // D_M (Hogg 1999 eq. 16): sinh for open (Omega_k > 0), sin for closed (Omega_k < 0).
  const S x = chi(a);
  const double ok = p_.Omega_k;
  if (ok == 0.0) return x;
  const double dh = units::hubble_distance;
  const double sk = std::sqrt(std::fabs(ok));
  if (ok > 0.0) return dh / sk * sinh(sk * x / dh);
  return dh / sk * sin(sk * x / dh);
}
template <class S>
S CosmologyT<S>::angular_diameter_distance(double a) const {
  return a * transverse_distance(a);  // D_A = D_M / (1 + z) (Hogg 1999 eq. 18)
}
template <class S>
S CosmologyT<S>::luminosity_distance(double a) const {
  return transverse_distance(a) / a;  // D_L = (1 + z) D_M (Hogg 1999 eq. 21)
}
template <class S>
S CosmologyT<S>::hubble_time() const {
  return units::hubble_time_gyr / p_.h;  // 1/H0 = 9.7779 Gyr / h
}
template <class S>
S CosmologyT<S>::lookback_time(double a) const {
  // t_L = 1/H0 int_a^1 da'/(a' E) (Hogg 1999 eq. 30).
  return hubble_time() * (t_today_ - state(a).t);
}
template <class S>
S CosmologyT<S>::age(double a) const {
  return hubble_time() * state(a).t;
}
template <class S>
S CosmologyT<S>::D1(double a) const {
  return state(a).d1;
}
template <class S>
S CosmologyT<S>::f1(double a) const {
  const State st = state(a);
  return st.dd1 / st.d1;
}
template <class S>
S CosmologyT<S>::D2(double a) const {
  return state(a).d2;
}
template <class S>
S CosmologyT<S>::f2(double a) const {
  const State st = state(a);
  return st.dd2 / st.d2;
}
template <class S>
S CosmologyT<S>::D1_norm(double a) const {
  return D1(a) / d1_today_;
}
template <class S>
S CosmologyT<S>::D2_norm(double a) const {
  return D2(a) / (d1_today_ * d1_today_);
}
template <class S>
S CosmologyT<S>::G_D(double a) const {
  // G_D = a^2 dD1/dt / H0 = a^3 E dD1/da = a^2 E D1' (Feng et al. 2016, FastPM).
  return a * a * E(a) * state(a).dd1;
}
template <class S>
S CosmologyT<S>::G_K(double a) const {
  // G_K = a dG_D/dt / H0 = a^3 E^2 [D1'' + (2 + E'/E) D1'] (Feng et al. 2016), which by the
  // growth equation equals a^3 E^2 (3/2) Omega_m(a) D1 = (3/2) Omega_m D1.
  return 1.5 * p_.Omega_m * state(a).d1;
}
template <class S>
S CosmologyT<S>::G_D2(double a) const {
  return a * a * E(a) * state(a).dd2;  // a^2 E D2', as G_D (Feng et al. 2016)
}
template <class S>
double CosmologyT<S>::a_min() const {
  return kAMin;
}
template <class S>
double CosmologyT<S>::a_max() const {
  return kAMax;
}

template struct CosmologyParamsT<double>;
template struct CosmologyParamsT<CosmoDual>;
template class CosmologyT<double>;
template class CosmologyT<CosmoDual>;

}  // namespace cosmograd::sim
