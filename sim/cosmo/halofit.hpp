// Nonlinear matter power spectrum from the halofit fit of Takahashi et al. 2012 (ApJ 761, 152;
// "T12"), the revision of Smith et al. 2003 (MNRAS 341, 1311), templated on S = double or
// CosmoDual so parameter derivatives come from the same code.
//
// Units: k in h/Mpc, P in (Mpc/h)^3, R in Mpc/h.
//
// Dark energy: T12's coefficients a_n, b_n (eqs. A6-A7) depend on Omega_de(z) (1 + w). We use
// Omega_de at the requested a (from E(a): 1 - Omega_m(a) - Omega_r(a) - Omega_k(a)) and the
// CPL equation of state at that a, w(a) = w0 + wa (1 - a). For wa = 0 this is exactly CLASS's
// default; CLASS instead uses w(a=1) = w0 for all a when wa != 0 (its optional "pk_eq" mode
// maps to an effective constant w instead; not implemented here).
//
// The nonlinear scale k_sigma solves sigma_G(1/k_sigma) = 1 (T12 eq. A4, Gaussian filter).
// It is found in double precision; its parameter derivatives then follow from the implicit-
// function theorem, applied as one Newton step in duals:
//   R_sigma = R* - (sigma_G^2(R*; theta) - 1) / (d sigma_G^2 / dR)(R*),
// so the double and dual paths share one implementation.
#pragma once

#include <vector>

#include "sim/cosmo/linear_power.hpp"

namespace cosmograd::sim {

/// Takahashi et al. (2012) halofit at one scale factor, built on a linear power spectrum.
template <class S>
class HalofitT {
 public:
  /// Finds k_sigma, n_eff and C at scale factor a and sets the T12 coefficients; `linear`
  /// must outlive this object. Throws std::runtime_error if sigma_G(R) never crosses 1 for
  /// 1e-6 < R < 1e4 Mpc/h (e.g. a too early for any nonlinear scale).
  HalofitT(const LinearPowerT<S>& linear, double a);

  /// Nonlinear power P_nl(k, a) [(Mpc/h)^3]; k [h/Mpc] > 0.
  S power(double k) const;
  /// Same as power(k).
  S operator()(double k) const { return power(k); }
  /// P_nl at each k [h/Mpc] [(Mpc/h)^3].
  std::vector<S> power(const std::vector<double>& k) const;
  /// Dimensionless nonlinear power Delta^2_NL = Delta^2_Q + Delta^2_H (T12 eq. A1); k [h/Mpc].
  S delta2(double k) const;

  /// Nonlinear wavenumber k_sigma [h/Mpc], sigma_G(1/k_sigma) = 1 (T12 eq. A4).
  const S& k_sigma() const { return k_sigma_; }
  /// Effective index n_eff = -3 - d ln sigma_G^2 / d ln R at R = 1/k_sigma (T12 eq. A5).
  const S& n_eff() const { return n_eff_; }
  /// Curvature C = -d^2 ln sigma_G^2 / d ln R^2 at R = 1/k_sigma (T12 eq. A5).
  const S& curvature() const { return curvature_; }
  /// Omega_m(a), dimensionless.
  const S& omega_m() const { return omega_m_; }
  /// Omega_de(a), dimensionless.
  const S& omega_de() const { return omega_de_; }
  /// Scale factor this object was built for.
  double a() const { return a_; }
  /// Gaussian-filtered rms linear density at a: sigma_G^2(R) = int dlnk Delta^2_L e^{-k^2 R^2};
  /// R [Mpc/h]; uses the internal quadrature (relative error ~1e-10).
  S sigma_gaussian(const S& R) const;
  /// The linear spectrum this object was built on.
  const LinearPowerT<S>& linear() const { return linear_; }

 private:
  const LinearPowerT<S>& linear_;
  double a_;
  S growth2_;              // D1_norm(a)^2
  PowerQuadrature rule_;   // d ln k rule over the Gaussian integrals
  std::vector<S> delta2_;  // Delta^2_L(k_i, a) at the rule's nodes
  S k_sigma_, n_eff_, curvature_, omega_m_, omega_de_;
  S an_, bn_, cn_, gamma_n_, alpha_n_, beta_n_, nu_n_, f1_, f2_, f3_;
};
using Halofit = HalofitT<double>;
using HalofitDual = HalofitT<CosmoDual>;

extern template class HalofitT<double>;
extern template class HalofitT<CosmoDual>;

}  // namespace cosmograd::sim
