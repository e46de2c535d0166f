#include "sim/cosmo/linear_power.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "sim/cosmo/gauss_legendre.hpp"
#include "sim/cosmo/power_table.hpp"

namespace cosmograd::sim {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kE = 2.71828182845904523536;

// Baryon wiggles: period 2 pi / s ~ 0.06 h/Mpc for s ~ 100 Mpc/h. Panels no wider than
// 0.04 h/Mpc in k resolve them (8 nodes per panel) for k < 1 h/Mpc; above, their relative
// amplitude in P falls like (k s)^-3 (EH98 eq. 21: ~1e-5 at k = 1, ~1e-8 at k = 10), so panels
// of 0.04 in ln k (up to ~7 periods at k = 10) suffice; beyond k = 10 h/Mpc they are ignored.
constexpr double kBaoMaxDk = 0.04;
constexpr double kBaoKmax = 10.0;

// Top-hat sigma^2 integration range in x = kR and the rule for R = 8 Mpc/h (cached).
constexpr double kTophatXmin = 1e-3;
constexpr double kTophatXmax = 200.0;
constexpr double kTophatXtail = 2e5;

const PowerQuadrature& sigma8_rule() {
  static const PowerQuadrature rule = tophat_sigma2_quadrature(8.0);
  return rule;
}

// sin(x)/x, with its series near 0 (templated so it works for duals).
template <class S>
S sinc(const S& x) {
  using std::sin;
  if (std::fabs(value(x)) < 1e-3) {
    const S x2 = x * x;
    return 1.0 - x2 / 6.0 + x2 * x2 / 120.0;
  }
  return sin(x) / x;
}

void check_k(double k, const char* where) {
  if (!(k > 0.0) || !std::isfinite(k)) {
    std::ostringstream msg;
    msg << where << ": k = " << k << " h/Mpc must be positive and finite";
    throw std::invalid_argument(msg.str());
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Eisenstein & Hu 1998

template <class S>
EisensteinHuT<S>::EisensteinHuT(const S& Omega_m, const S& Omega_b, const S& h, double T_cmb)
    : h_(h), theta_(T_cmb / 2.7) {
  using std::log;
  using std::pow;
  using std::sqrt;
  if (!(value(Omega_m) > 0.0) || !(value(Omega_b) > 0.0) || !(value(Omega_b) < value(Omega_m))) {
    std::ostringstream msg;
    msg << "Eisenstein-Hu transfer function: need 0 < Omega_b < Omega_m, got Omega_b = "
        << value(Omega_b) << ", Omega_m = " << value(Omega_m);
    throw std::invalid_argument(msg.str());
  }
  if (!(value(h) > 0.0) || !(T_cmb > 0.0)) {
    std::ostringstream msg;
    msg << "Eisenstein-Hu transfer function: need h > 0 and T_cmb > 0 K, got h = " << value(h)
        << ", T_cmb = " << T_cmb;
    throw std::invalid_argument(msg.str());
  }
  omhh_ = Omega_m * h * h;
  obhh_ = Omega_b * h * h;
  fb_ = Omega_b / Omega_m;
  const double th2 = theta_ * theta_;
  const double th4 = th2 * th2;

  // Eq. 2: matter-radiation equality; like EH's tf_fit.c we read it as 1 + z_eq.
  zeq1_ = 2.50e4 * omhh_ / th4;
  // Eq. 3: k_eq = (2 Omega_0 H_0^2 z_eq)^(1/2) = 7.46e-2 Omega_0 h^2 Theta^-2 Mpc^-1.
  keq_ = 7.46e-2 * omhh_ / th2;
  // Eq. 4: drag epoch.
  const S b1 = 0.313 * pow(omhh_, -0.419) * (1.0 + 0.607 * pow(omhh_, 0.674));
  const S b2 = 0.238 * pow(omhh_, 0.223);
  zd_ =
      1291.0 * pow(omhh_, 0.251) / (1.0 + 0.659 * pow(omhh_, 0.828)) * (1.0 + b1 * pow(obhh_, b2));
  // Eq. 5: R = 31.5 Omega_b h^2 Theta^-4 (z/10^3)^-1, evaluated with 1+z as in tf_fit.c.
  Rd_ = 31.5 * obhh_ / th4 * (1000.0 / (1.0 + zd_));
  Req_ = 31.5 * obhh_ / th4 * (1000.0 / zeq1_);
  // Eq. 6: sound horizon at the drag epoch [Mpc].
  s_ = 2.0 / (3.0 * keq_) * sqrt(6.0 / Req_) *
       log((sqrt(1.0 + Rd_) + sqrt(Rd_ + Req_)) / (1.0 + sqrt(Req_)));
  // Eq. 7: Silk damping scale [1/Mpc].
  ksilk_ = 1.6 * pow(obhh_, 0.52) * pow(omhh_, 0.73) * (1.0 + pow(10.4 * omhh_, -0.95));
  // Eq. 11: CDM suppression alpha_c = a1^(-f_b) a2^(-f_b^3).
  const S a1 = pow(46.9 * omhh_, 0.670) * (1.0 + pow(32.1 * omhh_, -0.532));
  const S a2 = pow(12.0 * omhh_, 0.424) * (1.0 + pow(45.0 * omhh_, -0.582));
  alpha_c_ = pow(a1, -fb_) * pow(a2, -(fb_ * fb_ * fb_));
  // Eq. 12: CDM log shift, beta_c^-1 = 1 + b1 [(Omega_c/Omega_0)^b2 - 1].
  const S bc1 = 0.944 / (1.0 + pow(458.0 * omhh_, -0.708));
  const S bc2 = pow(0.395 * omhh_, -0.0266);
  beta_c_ = 1.0 / (1.0 + bc1 * (pow(1.0 - fb_, bc2) - 1.0));
  // Eqs. 14-15: baryon suppression alpha_b = 2.07 k_eq s (1+R_d)^(-3/4) G((1+z_eq)/(1+z_d)).
  const S y = zeq1_ / (1.0 + zd_);
  const S sq = sqrt(1.0 + y);
  const S G = y * (-6.0 * sq + (2.0 + 3.0 * y) * log((sq + 1.0) / (sq - 1.0)));
  alpha_b_ = 2.07 * keq_ * s_ * pow(1.0 + Rd_, -0.75) * G;
  // Eq. 23: node shift.
  beta_node_ = 8.41 * pow(omhh_, 0.435);
  // Eq. 24: baryon envelope shift.
  const S x17 = 17.2 * omhh_;
  beta_b_ = 0.5 + fb_ + (3.0 - 2.0 * fb_) * sqrt(x17 * x17 + 1.0);
  // Eq. 26: fitting formula for the sound horizon [Mpc] (used by the no-wiggle form).
  s_fit_ = 44.5 * log(9.83 / omhh_) / sqrt(1.0 + 10.0 * pow(obhh_, 0.75));
  // Eq. 31: small-scale suppression of Gamma_eff.
  alpha_gamma_ = 1.0 - 0.328 * log(431.0 * omhh_) * fb_ + 0.38 * log(22.3 * omhh_) * (fb_ * fb_);
}

template <class S>
EisensteinHuT<S>::EisensteinHuT(const CosmologyParamsT<S>& p)
    : EisensteinHuT(p.Omega_m, p.Omega_b, p.h, p.T_cmb) {}

namespace {

// Eqs. 19-20: T0~(k, alpha, beta) = L / (L + C q^2), L = ln(e + 1.8 beta q),
// C = 14.2/alpha + 386 / (1 + 69.9 q^1.08). Here c386 = 386/(1 + 69.9 q^1.08), q2 = q^2.
template <class S>
S pressureless(const S& L, const S& q2, const S& inv_alpha, const S& c386) {
  return L / (L + (14.2 * inv_alpha + c386) * q2);
}

}  // namespace

template <class S>
S EisensteinHuT<S>::transfer_cdm_mpc(const S& k) const {
  using std::log;
  using std::pow;
  const S q = k / (13.41 * keq_);  // eq. 10
  const S q2 = q * q;
  const S ks = k * s_;
  const S c386 = 386.0 / (1.0 + 69.9 * pow(q, 1.08));
  const S L_beta = log(kE + 1.8 * beta_c_ * q);
  const S r = ks / 5.4;
  const S r2 = r * r;
  const S f = 1.0 / (1.0 + r2 * r2);  // eq. 18
  // Eq. 17: T_c = f T0~(k, 1, beta_c) + (1 - f) T0~(k, alpha_c, beta_c).
  return f * pressureless(L_beta, q2, S(1.0), c386) +
         (1.0 - f) * pressureless(L_beta, q2, 1.0 / alpha_c_, c386);
}

template <class S>
S EisensteinHuT<S>::transfer_baryon_mpc(const S& k) const {
  using std::exp;
  using std::log;
  using std::pow;
  const S q = k / (13.41 * keq_);  // eq. 10
  const S q2 = q * q;
  const S ks = k * s_;
  const S c386 = 386.0 / (1.0 + 69.9 * pow(q, 1.08));
  const S L_one = log(kE + 1.8 * q);
  const S bn = beta_node_ / ks;
  const S s_tilde = s_ * pow(1.0 + bn * bn * bn, -1.0 / 3.0);  // eq. 22
  const S r = ks / 5.2;
  const S bb = beta_b_ / ks;
  // Eq. 21.
  const S envelope = pressureless(L_one, q2, S(1.0), c386) / (1.0 + r * r) +
                     alpha_b_ / (1.0 + bb * bb * bb) * exp(-pow(k / ksilk_, 1.4));
  return envelope * sinc(S(k * s_tilde));
}

template <class S>
S EisensteinHuT<S>::transfer_mpc(const S& k) const {
  using std::exp;
  using std::log;
  using std::pow;
  // Eqs. 10-24 evaluated once for both parts (same lines as transfer_cdm_mpc and
  // transfer_baryon_mpc, sharing q, k s and C).
  const S q = k / (13.41 * keq_);  // eq. 10
  const S q2 = q * q;
  const S ks = k * s_;
  const S c386 = 386.0 / (1.0 + 69.9 * pow(q, 1.08));  // eq. 20
  const S L_beta = log(kE + 1.8 * beta_c_ * q);        // eq. 19
  const S L_one = log(kE + 1.8 * q);
  const S r54 = ks / 5.4;
  const S r54_2 = r54 * r54;
  const S f = 1.0 / (1.0 + r54_2 * r54_2);  // eq. 18
  const S t_one = pressureless(L_one, q2, S(1.0), c386);
  const S t_cdm = f * pressureless(L_beta, q2, S(1.0), c386) +
                  (1.0 - f) * pressureless(L_beta, q2, 1.0 / alpha_c_, c386);  // eq. 17
  const S bn = beta_node_ / ks;
  const S s_tilde = s_ * pow(1.0 + bn * bn * bn, -1.0 / 3.0);  // eq. 22
  const S r52 = ks / 5.2;
  const S bb = beta_b_ / ks;
  const S t_bar =
      (t_one / (1.0 + r52 * r52) + alpha_b_ / (1.0 + bb * bb * bb) * exp(-pow(k / ksilk_, 1.4))) *
      sinc(S(k * s_tilde));                  // eq. 21
  return fb_ * t_bar + (1.0 - fb_) * t_cdm;  // eq. 16 (8)
}

template <class S>
S EisensteinHuT<S>::zero_baryon(const S& q) {
  using std::log;
  // Eq. 29: T0 = L0 / (L0 + C0 q^2), L0 = ln(2e + 1.8 q), C0 = 14.2 + 731 / (1 + 62.5 q).
  const S L0 = log(2.0 * kE + 1.8 * q);
  const S C0 = 14.2 + 731.0 / (1.0 + 62.5 * q);
  return L0 / (L0 + C0 * q * q);
}

template <class S>
S EisensteinHuT<S>::transfer_nowiggle_mpc(const S& k) const {
  // Eq. 30: Gamma_eff = Omega_0 h [alpha_Gamma + (1 - alpha_Gamma) / (1 + (0.43 k s)^4)],
  // with s from eq. 26.
  const S x = 0.43 * k * s_fit_;
  const S x2 = x * x;
  const S gamma_over_omh = alpha_gamma_ + (1.0 - alpha_gamma_) / (1.0 + x2 * x2);
  // Eq. 28: q = k / (h Mpc^-1) Theta^2 / Gamma_eff = k[1/Mpc] Theta^2 / (Omega_0 h^2 ...).
  const S q = k * (theta_ * theta_) / (omhh_ * gamma_over_omh);
  return zero_baryon(q);
}

template <class S>
S EisensteinHuT<S>::transfer(double k) const {
  check_k(k, "EisensteinHu::transfer");
  return transfer_mpc(S(k * h_));
}

template <class S>
S EisensteinHuT<S>::transfer_nowiggle(double k) const {
  check_k(k, "EisensteinHu::transfer_nowiggle");
  return transfer_nowiggle_mpc(S(k * h_));
}

template <class S>
S EisensteinHuT<S>::transfer_zero_baryon(double k) const {
  check_k(k, "EisensteinHu::transfer_zero_baryon");
  // Eq. 28 with Gamma = Omega_0 h: q = k[h/Mpc] Theta^2 / (Omega_0 h) = k[1/Mpc] Theta^2 / omhh.
  return zero_baryon(S(k * h_ * (theta_ * theta_) / omhh_));
}

// ---------------------------------------------------------------------------------------------
// Quadrature

double tophat_window(double x) {
  const double x2 = x * x;
  if (std::fabs(x) < 0.1) {
    // 3 (sin x - x cos x)/x^3 = 1 - x^2/10 + x^4/280 - x^6/15120 + x^8/1330560 - ...
    return 1.0 + x2 * (-1.0 / 10.0 + x2 * (1.0 / 280.0 + x2 * (-1.0 / 15120.0 + x2 / 1330560.0)));
  }
  return 3.0 * (std::sin(x) - x * std::cos(x)) / (x2 * x);
}

PowerQuadrature ln_k_quadrature(double k_min, double k_max, double max_dlnk, double max_dk) {
  if (!(k_min > 0.0) || !(k_max > k_min) || !std::isfinite(k_max) || !(max_dlnk > 0.0) ||
      !(max_dk > 0.0)) {
    std::ostringstream msg;
    msg << "ln_k_quadrature: need 0 < k_min < k_max finite and positive widths, got k_min = "
        << k_min << ", k_max = " << k_max << ", max_dlnk = " << max_dlnk << ", max_dk = " << max_dk;
    throw std::invalid_argument(msg.str());
  }
  const auto& gl = GaussLegendre<8>::get();
  PowerQuadrature rule;
  double u = std::log(k_min);
  const double u_end = std::log(k_max);
  while (u_end - u > 1e-12) {
    const double k = std::exp(u);
    double width = std::min(max_dlnk, std::log1p(max_dk / k));
    if (k < kBaoKmax) width = std::min(width, std::log1p(kBaoMaxDk * std::max(1.0, k) / k));
    width = std::min(width, u_end - u);
    for (int j = 0; j < 8; ++j) {
      rule.k.push_back(std::exp(u + 0.5 * width * (1.0 + gl.x[j])));
      rule.w.push_back(0.5 * width * gl.w[j]);
    }
    u += width;
  }
  return rule;
}

PowerQuadrature tophat_sigma2_quadrature(double R) {
  if (!(R > 0.0) || !std::isfinite(R)) {
    std::ostringstream msg;
    msg << "tophat_sigma2_quadrature: R = " << R << " Mpc/h must be positive and finite";
    throw std::invalid_argument(msg.str());
  }
  // One panel per period of W^2 (period pi in x = kR) up to x = 200.
  PowerQuadrature rule = ln_k_quadrature(kTophatXmin / R, kTophatXmax / R, 0.5, kPi / R);
  for (std::size_t i = 0; i < rule.k.size(); ++i) {
    const double k = rule.k[i];
    const double W = tophat_window(k * R);
    rule.w[i] *= k * k * k * W * W / (2.0 * kPi * kPi);
  }
  // Tail 200 < x < 2e5: W^2 = 9 (x cos x - sin x)^2 / x^6 replaced by its average over a
  // period, 9 (x^2 + 1) / (2 x^6), a smooth integrand; the neglected oscillating part is ~1/x
  // of the tail, which itself is ~1e-8 of sigma^2 for R = 8.
  const PowerQuadrature tail =
      ln_k_quadrature(kTophatXmax / R, kTophatXtail / R, 0.5, std::numeric_limits<double>::max());
  for (std::size_t i = 0; i < tail.k.size(); ++i) {
    const double k = tail.k[i];
    const double x2 = k * R * k * R;
    const double w2 = 4.5 * (x2 + 1.0) / (x2 * x2 * x2);
    rule.k.push_back(k);
    rule.w.push_back(tail.w[i] * k * k * k * w2 / (2.0 * kPi * kPi));
  }
  return rule;
}

// ---------------------------------------------------------------------------------------------
// LinearPowerT

template <class S>
S LinearPowerT<S>::growth(double a) const {
  if (a == 1.0) return S(1.0);
  return cosmo_.D1_norm(a);
}

template <class S>
S LinearPowerT<S>::power(double k, double a) const {
  const S g = growth(a);
  return power_today(k) * (g * g);
}

template <class S>
std::vector<S> LinearPowerT<S>::power(const std::vector<double>& k, double a) const {
  const S g = growth(a);
  const S g2 = g * g;
  std::vector<S> out;
  out.reserve(k.size());
  for (double ki : k) out.push_back(power_today(ki) * g2);
  return out;
}

template <class S>
S LinearPowerT<S>::delta2(double k, double a) const {
  return power(k, a) * (k * k * k / (2.0 * kPi * kPi));
}

template <class S>
S LinearPowerT<S>::sigma(double R, double a) const {
  using std::sqrt;
  const PowerQuadrature local = R == 8.0 ? PowerQuadrature{} : tophat_sigma2_quadrature(R);
  const PowerQuadrature& rule = R == 8.0 ? sigma8_rule() : local;
  S sum(0.0);
  for (std::size_t i = 0; i < rule.k.size(); ++i) sum += rule.w[i] * power_today(rule.k[i]);
  return sqrt(sum) * growth(a);
}

// ---------------------------------------------------------------------------------------------
// EisensteinHuPowerT

template <class S>
EisensteinHuPowerT<S>::EisensteinHuPowerT(const CosmologyT<S>& cosmo, bool wiggles)
    : LinearPowerT<S>(cosmo), eh_(cosmo.params()), wiggles_(wiggles), amplitude_(1.0) {
  using std::exp;
  const auto& p = this->cosmology().params();
  if (!(value(p.sigma8) > 0.0)) {
    std::ostringstream msg;
    msg << "Eisenstein-Hu power: sigma8 = " << value(p.sigma8) << " must be positive";
    throw std::invalid_argument(msg.str());
  }
  // sigma^2(8 Mpc/h) of k^n_s T^2 fixes A (top-hat, a = 1).
  const PowerQuadrature& rule = sigma8_rule();
  S sum(0.0);
  for (std::size_t i = 0; i < rule.k.size(); ++i) {
    const S t = transfer(rule.k[i]);
    sum += rule.w[i] * exp(p.n_s * std::log(rule.k[i])) * (t * t);
  }
  amplitude_ = p.sigma8 * p.sigma8 / sum;
}

template <class S>
std::string EisensteinHuPowerT<S>::name() const {
  return wiggles_ ? "eisenstein_hu" : "eisenstein_hu_nowiggle";
}

template <class S>
S EisensteinHuPowerT<S>::transfer(double k) const {
  return wiggles_ ? eh_.transfer(k) : eh_.transfer_nowiggle(k);
}

template <class S>
S EisensteinHuPowerT<S>::power_today(double k) const {
  using std::exp;
  const S t = transfer(k);
  return amplitude_ * exp(this->cosmology().params().n_s * std::log(k)) * (t * t);
}

// ---------------------------------------------------------------------------------------------
// Registry

template <class S>
Registry<LinearPowerFactoryT<S>>& transfer_registry() {
  static Registry<LinearPowerFactoryT<S>> registry("transfer function");
  return registry;
}

namespace {

// Adds a built-in entry unless the name is taken (a user's replacement stays in place).
template <class Factory>
void add_builtin(Registry<Factory>& reg, const std::string& name, Factory factory) {
  if (!reg.contains(name)) reg.add(name, std::move(factory));
}

template <class S>
void register_for_scalar() {
  using Factory = LinearPowerFactoryT<S>;
  auto& reg = transfer_registry<S>();
  add_builtin<Factory>(
      reg, "eisenstein_hu", [](const CosmologyT<S>& cosmo, const LinearPowerOptions&) {
        return std::unique_ptr<LinearPowerT<S>>(new EisensteinHuPowerT<S>(cosmo, true));
      });
  add_builtin<Factory>(
      reg, "eisenstein_hu_nowiggle", [](const CosmologyT<S>& cosmo, const LinearPowerOptions&) {
        return std::unique_ptr<LinearPowerT<S>>(new EisensteinHuPowerT<S>(cosmo, false));
      });
  add_builtin<Factory>(
      reg, "table", [](const CosmologyT<S>& cosmo, const LinearPowerOptions& options) {
        if (options.table_path.empty()) {
          throw std::invalid_argument(
              "transfer function 'table' needs LinearPowerOptions::table_path (a CLASS *_pk.dat / "
              "*_tk.dat or CAMB *_matterpower.dat file)");
        }
        TableOptions table_options;
        table_options.keep_table_amplitude = options.keep_table_amplitude;
        table_options.table_redshift = options.table_redshift;
        return std::unique_ptr<LinearPowerT<S>>(
            new TablePowerT<S>(cosmo, read_power_table(options.table_path), table_options));
      });
}

}  // namespace

std::string transfer_names() {
  register_builtin_transfers();
  std::string s;
  for (const std::string& n : transfer_registry<double>().names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}

void register_builtin_transfers() {
  register_for_scalar<double>();
  register_for_scalar<CosmoDual>();
}

template <class S>
std::unique_ptr<LinearPowerT<S>> make_linear_power(const std::string& transfer,
                                                   const CosmologyT<S>& cosmo,
                                                   const LinearPowerOptions& options) {
  register_builtin_transfers();
  return transfer_registry<S>().get(transfer)(cosmo, options);
}

template class EisensteinHuT<double>;
template class EisensteinHuT<CosmoDual>;
template class LinearPowerT<double>;
template class LinearPowerT<CosmoDual>;
template class EisensteinHuPowerT<double>;
template class EisensteinHuPowerT<CosmoDual>;
template Registry<LinearPowerFactoryT<double>>& transfer_registry<double>();
template Registry<LinearPowerFactoryT<CosmoDual>>& transfer_registry<CosmoDual>();
template std::unique_ptr<LinearPowerT<double>> make_linear_power<double>(const std::string&,
                                                                         const CosmologyT<double>&,
                                                                         const LinearPowerOptions&);
template std::unique_ptr<LinearPowerT<CosmoDual>> make_linear_power<CosmoDual>(
    const std::string&, const CosmologyT<CosmoDual>&, const LinearPowerOptions&);

}  // namespace cosmograd::sim
