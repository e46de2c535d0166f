// Cosmological parameters, background expansion, distances, times and growth factors.
//
// Everything is templated on the scalar S (double or CosmoDual), so one implementation gives
// the values and, through forward-mode dual numbers, their exact derivatives with respect to
// (Omega_m, Omega_b, h, n_s, sigma8, w0, wa).  The background depends on Omega_m, w0, wa and
// (through the radiation density Omega_r = Omega_r h^2 / h^2) on h; the other parameters have
// zero derivatives here, which is correct.
//
// Conventions: a is the scale factor (a = 1 today), ' = d/d ln a, E(a) = H(a)/H0.  Lengths in
// Mpc/h, times in Gyr.  D1 and D2 are normalised in matter domination (D1/a -> 1, D2 ->
// -3/7 D1^2), as in FastPM (Feng et al. 2016) and pmwd (Li et al. 2022); D1_norm / D2_norm
// are normalised to D1(a=1).
//
// Tables: built once at construction on a uniform grid in ln a from a_min() = 1e-8 to a little
// beyond a_max() = 2 (step ~0.01 in ln a, with a = 1 on a node) by fixed-step RK4, and
// interpolated with cubic Hermite polynomials using the exact derivatives at the nodes.  Below
// a_min() the analytic early-time solutions are used (see cosmology.cpp): without radiation,
// series in rho_de/rho_m (exact for CPL at small a) plus first-order curvature terms; with
// radiation, the Meszaros growing mode D1 = a + 2/3 a_eq and the D2 solution that vanishes as
// a -> 0 (so D2 -> -3/7 D1^2 only up to O(a_eq/a) corrections in matter domination).
#pragma once

#include <vector>

#include "sim/core/dual.hpp"
#include "sim/core/units.hpp"

namespace cosmograd::sim {

/// Differentiable cosmological parameters, in this order, as dual-number slots.
enum class CosmoParam : int { Omega_m = 0, Omega_b, h, n_s, sigma8, w0, wa };
/// Number of differentiable cosmological parameters (dual slots).
inline constexpr int kNumCosmoParams = 7;
/// Forward-mode dual with one slot per differentiable parameter.
using CosmoDual = Dual<kNumCosmoParams>;
/// Names of the differentiable parameters, indexed by CosmoParam.
const char* cosmo_param_name(CosmoParam p);

/// Cosmological parameters; S = double or CosmoDual.
template <class S>
struct CosmologyParamsT {
  S Omega_m = 0.3089;      ///< total matter density today (CDM + baryons), dimensionless
  S Omega_b = 0.0486;      ///< baryon density today
  S h = 0.6774;            ///< H0 / (100 km/s/Mpc)
  S n_s = 0.9667;          ///< primordial spectral index
  S sigma8 = 0.8159;       ///< rms linear density in 8 Mpc/h top-hat spheres at z=0
  S w0 = -1.0;             ///< dark-energy equation of state today
  S wa = 0.0;              ///< its evolution, w(a) = w0 + wa (1 - a)  (Chevallier-Polarski-Linder)
  double Omega_k = 0.0;    ///< curvature density (Omega_k > 0 open); not differentiated
  double T_cmb = 2.7255;   ///< CMB temperature [K]; sets Omega_gamma when radiation is on
  double N_eff = 3.046;    ///< effective number of massless neutrinos (radiation on)
  bool radiation = false;  ///< include photons + massless neutrinos in E(a)
  double A_s = 0.0;        ///< primordial amplitude at k_pivot=0.05/Mpc; used only by
                           ///< transfer tables when > 0 (then sigma8 is derived)
  /// Throws std::invalid_argument naming the field, its value and the allowed range.
  void validate() const;
};
/// Parameters as plain doubles.
using CosmologyParams = CosmologyParamsT<double>;
/// Planck 2015 (TT,TE,EE+lowP+lensing+ext) defaults, flat, w0=-1, wa=0.
CosmologyParams planck2015();
/// Promote parameters to duals with unit seeds in each differentiable slot.
CosmologyParamsT<CosmoDual> seed_duals(const CosmologyParams& p);

/// The differentiable parameter `which` of p (mutable), e.g. to perturb it.
template <class S>
S& param(CosmologyParamsT<S>& p, CosmoParam which) {
  switch (which) {
    case CosmoParam::Omega_m:
      return p.Omega_m;
    case CosmoParam::Omega_b:
      return p.Omega_b;
    case CosmoParam::h:
      return p.h;
    case CosmoParam::n_s:
      return p.n_s;
    case CosmoParam::sigma8:
      return p.sigma8;
    case CosmoParam::w0:
      return p.w0;
    case CosmoParam::wa:
      break;
  }
  return p.wa;
}
/// The differentiable parameter `which` of p.
template <class S>
const S& param(const CosmologyParamsT<S>& p, CosmoParam which) {
  return param(const_cast<CosmologyParamsT<S>&>(p), which);
}

/// Photon density today Omega_gamma h^2 for a CMB temperature T_cmb [K] (dimensionless).
double omega_gamma_h2(double T_cmb);
/// Radiation density today Omega_r h^2 = Omega_gamma h^2 (1 + 7/8 (4/11)^(4/3) N_eff).
double omega_radiation_h2(double T_cmb, double N_eff);

/// Background, distances and growth, tabulated once at construction.
/// Table-based functions accept 0 < a <= a_max() and throw std::out_of_range otherwise.
template <class S>
class CosmologyT {
 public:
  /// Validates p (std::invalid_argument on a bad value) and builds the tables.
  explicit CosmologyT(const CosmologyParamsT<S>& p);  // validates, builds tables
  /// The parameters this background was built from.
  const CosmologyParamsT<S>& params() const;
  S Omega_r() const;            ///< radiation density today (0 when radiation off)
  S Omega_de() const;           ///< dark energy density today, = 1 - Om - Or - Ok
  S Omega_gamma() const;        ///< photon density today (0 when radiation off)
  S w(double a) const;          ///< dark-energy equation of state w0 + wa (1 - a), any a > 0
  S E(double a) const;          ///< H(a)/H0 (analytic, any a > 0)
  S dlnE_dlna(double a) const;  ///< d ln E / d ln a (analytic, any a > 0)
  S Omega_m_a(double a) const;  ///< Omega_m a^-3 / E^2 (analytic, any a > 0)
  S chi(double a) const;        ///< comoving radial distance to a [Mpc/h]
  S transverse_distance(double a) const;        ///< comoving transverse distance [Mpc/h]
  S angular_diameter_distance(double a) const;  ///< [Mpc/h]
  S luminosity_distance(double a) const;        ///< [Mpc/h]
  S conformal_time(double a) const;             ///< conformal time since a=0, c * eta [Mpc/h]
  S hubble_time() const;                        ///< 1/H0 [Gyr]
  S lookback_time(double a) const;              ///< [Gyr]
  S age(double a) const;                        ///< cosmic time since a=0 [Gyr]
  S D1(double a) const;       ///< linear growth, D1/a -> 1 deep in matter domination
  S f1(double a) const;       ///< dlnD1/dlna
  S D2(double a) const;       ///< 2LPT growth, -> -3/7 D1^2 deep in matter domination
  S f2(double a) const;       ///< dlnD2/dlna
  S D1_norm(double a) const;  ///< D1(a)/D1(1)
  S D2_norm(double a) const;  ///< D2(a)/D1(1)^2 (so D2_norm ~ -3/7 D1_norm^2)
  S G_D(double a) const;      ///< a^3 E dD1/da   (FastPM drift factor, MD-normalised D1)
  S G_K(double a) const;      ///< a^3 E^2 [D1'' + (2 + E'/E) D1'] = a dG_D/dt / H0
  S G_D2(double a) const;     ///< same as G_D for D2
  double a_min() const;       ///< smallest tabulated a, 1e-8 (analytic early-time solutions below)
  double a_max() const;       ///< largest a accepted by the table-based functions, 2

 private:
  /// E^2, E, d ln E / d ln a and Omega_m(a) at one scale factor.
  struct Background {
    S E2, E, dlnE, Om_a;
  };
  /// Values and d/dln a of the tabulated quantities at one a.
  struct State {
    S eta, t, d1, dd1, d2, dd2;
  };
  Background background(double a) const;
  void build_early_series();
  State early_state(double a) const;  // analytic solutions for a <= a_min
  State table_state(double a) const;  // Hermite interpolation for a_min <= a <= a_max
  State state(double a) const;        // dispatch, with the range check
  void check_a(double a, bool table) const;

  CosmologyParamsT<S> p_;
  S Omega_r_{0.0};
  S Omega_gamma_{0.0};
  S Omega_de_{0.0};
  // Early-time expansion (radiation off): x(a) = rho_de / rho_m ~ a^n, n = -3 (w0 + wa).
  S n_de_{0.0};
  std::vector<S> g1_;  // D1 = a [sum_k g1_k x^k + kCurv1 y], y = (Omega_k/Omega_m) a
  std::vector<S> g2_;  // D2 = a^2 [sum_k g2_k x^k + kCurv2 y]
  std::vector<S> bt_;  // binomial(-1/2, k): 1/E = a^1.5 / sqrt(Om) sum_k bt_k x^k
  // Table on the uniform grid s_i = s_min_ + i ds_ (s = ln a), i = 0..n_nodes - 1.
  double s_min_ = 0.0;
  double ds_ = 0.0;
  int n_nodes_ = 0;
  // Per node: the quantity and its derivative d/dln a (Hermite data).
  std::vector<S> eta_, deta_;  // conformal time in c/H0 units
  std::vector<S> t_, dt_;      // cosmic time in 1/H0 units
  std::vector<S> d1_, dd1_, ddd1_;
  std::vector<S> d2_, dd2_, ddd2_;
  S eta_today_{0.0}, t_today_{0.0}, d1_today_{0.0};
};
/// Background with plain doubles.
using Cosmology = CosmologyT<double>;
/// Background with parameter derivatives in every result.
using CosmologyDual = CosmologyT<CosmoDual>;
extern template struct CosmologyParamsT<double>;
extern template struct CosmologyParamsT<CosmoDual>;
extern template class CosmologyT<double>;
extern template class CosmologyT<CosmoDual>;
}  // namespace cosmograd::sim
