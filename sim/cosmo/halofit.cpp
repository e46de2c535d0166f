#include "sim/cosmo/halofit.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace cosmograd::sim {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Gaussian-integral range: Delta^2 ~ k^(3+n_s) makes k < 1e-4 h/Mpc negligible (< 1e-12 of
// sigma_G^2 ~ 1); the upper end grows by decades until exp(-(k_max R)^2) < e^-40 at the root.
constexpr double kGaussKmin = 1e-4;
constexpr double kGaussKmaxStart = 1e2;
constexpr double kGaussKmaxLimit = 1e6;
constexpr double kGaussExpCut = 40.0;  // y = k^2 R^2 beyond which exp(-y) is dropped
constexpr double kGaussMaxDlnk = 0.3;

// Sums s_j = sum_i w_i Delta^2_i g_j(y_i), y = k^2 R^2, g_0 = e^-y, g_1 = 2y e^-y,
// g_2 = 4y(1-y) e^-y, so that sigma^2 = s_0, d sigma^2/d ln R = -s_1,
// d^2 sigma^2 / d ln R^2 = -s_2.
template <class S, class R>
void gaussian_sums(const PowerQuadrature& rule, const std::vector<S>& delta2, const R& radius,
                   S& s0, S& s1, S& s2) {
  using std::exp;
  s0 = S(0.0);
  s1 = S(0.0);
  s2 = S(0.0);
  const R r2 = radius * radius;
  for (std::size_t i = 0; i < rule.k.size(); ++i) {
    const double k2 = rule.k[i] * rule.k[i];
    if (k2 * value(r2) > kGaussExpCut) break;  // nodes increase in k
    const R y = k2 * r2;
    const S term = (rule.w[i] * exp(-y)) * delta2[i];
    s0 += term;
    s1 += term * (2.0 * y);
    s2 += term * (4.0 * y * (1.0 - y));
  }
}

// sigma_G^2(R) and d ln sigma_G^2 / d ln R in double.
void gaussian_double(const PowerQuadrature& rule, const std::vector<double>& delta2, double R,
                     double& sigma2, double& dlns2_dlnr) {
  double s0 = 0.0;
  double s1 = 0.0;
  double s2 = 0.0;
  gaussian_sums<double, double>(rule, delta2, R, s0, s1, s2);
  sigma2 = s0;
  dlns2_dlnr = s0 > 0.0 ? -s1 / s0 : 0.0;
}

}  // namespace

template <class S>
HalofitT<S>::HalofitT(const LinearPowerT<S>& linear, double a) : linear_(linear), a_(a) {
  using std::abs;
  using std::exp;
  using std::log;
  using std::pow;
  if (!(a > 0.0) || !std::isfinite(a)) {
    std::ostringstream msg;
    msg << "Halofit: scale factor a = " << a << " must be positive and finite";
    throw std::invalid_argument(msg.str());
  }
  const S g = linear_.growth(a);
  growth2_ = g * g;

  // Delta^2_L(k, a) at the nodes; extend k_max until the root's Gaussian is resolved.
  auto append = [&](double k_lo, double k_hi) {
    const PowerQuadrature extra = ln_k_quadrature(k_lo, k_hi, kGaussMaxDlnk, 1e300);
    for (std::size_t i = 0; i < extra.k.size(); ++i) {
      const double k = extra.k[i];
      rule_.k.push_back(k);
      rule_.w.push_back(extra.w[i]);
      delta2_.push_back(linear_.power_today(k) * growth2_ * (k * k * k / (2.0 * kPi * kPi)));
    }
  };
  double k_max = kGaussKmaxStart;
  append(kGaussKmin, k_max);
  std::vector<double> d2v;
  auto refresh_values = [&]() {
    d2v.resize(delta2_.size());
    for (std::size_t i = 0; i < delta2_.size(); ++i) d2v[i] = value(delta2_[i]);
  };
  refresh_values();
  double sigma2 = 0.0;
  double slope = 0.0;
  double r_lo = std::sqrt(kGaussExpCut) / k_max;  // smallest R resolved by the nodes
  gaussian_double(rule_, d2v, r_lo, sigma2, slope);
  while (sigma2 <= 1.0) {
    if (k_max >= kGaussKmaxLimit) {
      std::ostringstream msg;
      msg << "Halofit: sigma_G(R) < 1 for all R >= " << r_lo << " Mpc/h at a = " << a
          << "; no nonlinear scale (a too small?)";
      throw std::runtime_error(msg.str());
    }
    append(k_max, 10.0 * k_max);
    k_max *= 10.0;
    refresh_values();
    r_lo = std::sqrt(kGaussExpCut) / k_max;
    gaussian_double(rule_, d2v, r_lo, sigma2, slope);
  }
  double r_hi = 1.0;
  gaussian_double(rule_, d2v, r_hi, sigma2, slope);
  while (sigma2 >= 1.0) {
    r_hi *= 2.0;
    if (r_hi > 1e4) {
      std::ostringstream msg;
      msg << "Halofit: sigma_G(R) > 1 up to R = 1e4 Mpc/h at a = " << a;
      throw std::runtime_error(msg.str());
    }
    gaussian_double(rule_, d2v, r_hi, sigma2, slope);
  }
  // Safeguarded Newton on ln sigma_G^2(ln R) = 0 (monotone decreasing).
  double lo = std::log(r_lo);
  double hi = std::log(r_hi);
  double x = 0.5 * (lo + hi);
  for (int it = 0; it < 200; ++it) {
    gaussian_double(rule_, d2v, std::exp(x), sigma2, slope);
    const double f = std::log(sigma2);
    if (f > 0.0) {
      lo = x;
    } else {
      hi = x;
    }
    if (std::fabs(f) < 1e-15) break;
    double next = slope < 0.0 ? x - f / slope : 0.5 * (lo + hi);
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (std::fabs(next - x) < 1e-15) {
      x = next;
      break;
    }
    x = next;
  }
  const double r_star = std::exp(x);

  // Implicit-function step in S: R(theta) = R* - (sigma^2(R*; theta) - 1) / (d sigma^2/dR)(R*).
  S s0;
  S s1;
  S s2;
  gaussian_sums<S, double>(rule_, delta2_, r_star, s0, s1, s2);
  const double dsigma2_dr = -value(s1) / r_star;
  const S r_sigma = r_star - (s0 - 1.0) / dsigma2_dr;
  gaussian_sums<S, S>(rule_, delta2_, r_sigma, s0, s1, s2);
  k_sigma_ = 1.0 / r_sigma;
  // T12 eq. A5 (Smith et al. 2003 eqs. C3-C4): with sigma^2 = s0,
  // d ln sigma^2/d ln R = -s1/s0, d^2 ln sigma^2/d ln R^2 = -s2/s0 - (s1/s0)^2.
  const S ratio1 = s1 / s0;
  n_eff_ = -3.0 + ratio1;
  curvature_ = s2 / s0 + ratio1 * ratio1;

  // Background at a: Omega_m(a), Omega_de(a) = 1 - Omega_m(a) - Omega_r(a) - Omega_k(a).
  const CosmologyT<S>& cosmo = linear_.cosmology();
  const auto& p = cosmo.params();
  const S E = cosmo.E(a);
  const S E2 = E * E;
  omega_m_ = cosmo.Omega_m_a(a);
  omega_de_ = 1.0 - omega_m_ - cosmo.Omega_r() / (a * a * a * a * E2) - p.Omega_k / (a * a * E2);
  const S w = p.w0 + p.wa * (1.0 - a);
  const S de_term = omega_de_ * (1.0 + w);

  // T12 eqs. A6-A13 (revised coefficients; mu_n = 0).
  const S n = n_eff_;
  const S n2 = n * n;
  const S n3 = n2 * n;
  const S n4 = n2 * n2;
  const S C = curvature_;
  const double ln10 = std::log(10.0);
  an_ = exp(ln10 * (1.5222 + 2.8553 * n + 2.3706 * n2 + 0.9903 * n3 + 0.2250 * n4 - 0.6038 * C +
                    0.1749 * de_term));                                                    // A6
  bn_ = exp(ln10 * (-0.5642 + 0.5864 * n + 0.5716 * n2 - 1.5474 * C + 0.2279 * de_term));  // A7
  cn_ = exp(ln10 * (0.3698 + 2.0404 * n + 0.8161 * n2 + 0.5869 * C));                      // A8
  gamma_n_ = 0.1971 - 0.0843 * n + 0.8460 * C;                                             // A9
  alpha_n_ = abs(6.0835 + 1.3373 * n - 0.1959 * n2 - 5.5274 * C);                          // A10
  beta_n_ = 2.0379 - 0.7354 * n + 0.3157 * n2 + 1.2490 * n3 + 0.3980 * n4 - 0.1682 * C;    // A11
  nu_n_ = exp(ln10 * (5.2105 + 3.6902 * n));                                               // A13

  // f1, f2, f3 (Smith et al. 2003 eq. C17-C18): interpolate between the open (a) and the flat
  // Lambda (b) fits with frac = Omega_de / (1 - Omega_m), as CLASS and CAMB do.
  const S om = omega_m_;
  const S log_om = log(om);
  const S f1a = exp(-0.0732 * log_om);
  const S f2a = exp(-0.1423 * log_om);
  const S f3a = exp(0.0725 * log_om);
  const S f1b = exp(-0.0307 * log_om);
  const S f2b = exp(-0.0585 * log_om);
  const S f3b = exp(0.0743 * log_om);
  const S one_minus_om = 1.0 - om;
  const S frac = std::fabs(value(one_minus_om)) > 1e-10 ? omega_de_ / one_minus_om : S(1.0);
  f1_ = frac * f1b + (1.0 - frac) * f1a;
  f2_ = frac * f2b + (1.0 - frac) * f2a;
  f3_ = frac * f3b + (1.0 - frac) * f3a;
}

template <class S>
S HalofitT<S>::sigma_gaussian(const S& R) const {
  using std::sqrt;
  S s0;
  S s1;
  S s2;
  gaussian_sums<S, S>(rule_, delta2_, R, s0, s1, s2);
  return sqrt(s0);
}

template <class S>
S HalofitT<S>::delta2(double k) const {
  using std::exp;
  using std::log;
  if (!(k > 0.0) || !std::isfinite(k)) {
    std::ostringstream msg;
    msg << "Halofit: k = " << k << " h/Mpc must be positive and finite";
    throw std::invalid_argument(msg.str());
  }
  const S d2_lin = linear_.power_today(k) * growth2_ * (k * k * k / (2.0 * kPi * kPi));
  const S y = k / k_sigma_;
  const S ln_y = log(y);
  // T12 eq. A2: two-halo (quasi-linear) term, f(y) = y/4 + y^2/8.
  const S d2_q = d2_lin * exp(beta_n_ * log(1.0 + d2_lin)) / (1.0 + alpha_n_ * d2_lin) *
                 exp(-(0.25 * y + 0.125 * y * y));
  // T12 eq. A3: one-halo term with mu_n = 0 (A12).
  const S d2_h_prime = an_ * exp(3.0 * f1_ * ln_y) /
                       (1.0 + bn_ * exp(f2_ * ln_y) + exp((3.0 - gamma_n_) * log(cn_ * f3_ * y)));
  const S d2_h = d2_h_prime / (1.0 + nu_n_ / (y * y));
  return d2_q + d2_h;  // eq. A1
}

template <class S>
S HalofitT<S>::power(double k) const {
  return delta2(k) * (2.0 * kPi * kPi / (k * k * k));
}

template <class S>
std::vector<S> HalofitT<S>::power(const std::vector<double>& k) const {
  std::vector<S> out;
  out.reserve(k.size());
  for (double ki : k) out.push_back(power(ki));
  return out;
}

template class HalofitT<double>;
template class HalofitT<CosmoDual>;

}  // namespace cosmograd::sim
