// The Limber approximation to the convergence power spectrum of a source distribution.
//
// Kaiser 1992 (ApJ 388, 272) with the ell + 1/2 of LoVerde & Afshordi 2008 (PRD 78, 123506):
//   C_ell^kk = int_{chi_min}^{chi_max} dchi q(chi)^2 / f_K(chi)^2 P(k = (ell + 1/2) / f_K(chi),
//   a(chi)), q(chi) = (3/2) Omega_m (H0/c)^2 f_K(chi) g(chi) / a(chi),
// with g the lensing efficiency and f_K the transverse distance (sim/sky/source_redshifts.hpp;
// f_K(chi) = chi when flat). Units: chi in Mpc/h, k in h/Mpc, P in (Mpc/h)^3, C_ell
// dimensionless.
//
// Quadrature: composite 8-point Gauss-Legendre in chi on panels no wider than max_dchi and
// no wider than max_dlnchi * chi (so the steep small-chi end is resolved); the panel cut by
// k = k_max is re-integrated from the cut on. With the defaults the relative error is below
// 1e-5 (tests/sim/sky/test_limber.cpp halves both widths and compares).
#pragma once

#include <functional>
#include <vector>

#include "sim/cosmo/cosmology.hpp"
#include "sim/cosmo/linear_power.hpp"
#include "sim/sky/source_redshifts.hpp"

namespace cosmograd::sim {

/// A matter power spectrum P(k [h/Mpc], a) [(Mpc/h)^3] for the Limber integral.
using LimberPower = std::function<double(double k, double a)>;

/// Range and quadrature of the Limber integral.
struct LimberOptions {
  double chi_min = 0.0;     ///< lower limit of the chi integral [Mpc/h] (>= 0)
  double chi_max = 0.0;     ///< upper limit [Mpc/h]; 0 (or beyond): the farthest source, chi(z_max)
  double k_max = 1.0e3;     ///< P = 0 for k > k_max [h/Mpc] (e.g. a simulation's resolution)
  double max_dchi = 40.0;   ///< widest quadrature panel [Mpc/h]
  double max_dlnchi = 0.2;  ///< widest panel relative to its start, in ln chi
};

/// The linear spectrum as a LimberPower: lin.power(k, a). `lin` must outlive the result.
LimberPower linear_limber_power(const LinearPower& lin);

/// Takahashi et al. (2012) halofit as a LimberPower for a_min <= a <= 1: halofit is built on a
/// grid uniform in ln a (step <= dln_a) and the ratio P_nl / P_lin is interpolated in ln a
/// (cubic Lagrange; relative error < 1e-4 for dln_a = 0.05), times the exact P_lin(k, a). Where
/// halofit has no nonlinear scale (very early a) the linear spectrum is used. `lin` must
/// outlive the result. Throws std::invalid_argument unless 0 < a_min < 1.
LimberPower halofit_limber_power(const LinearPower& lin, double a_min, double dln_a = 0.05);

/// C_ell^kk (dimensionless) at each ell >= 1 for the spectrum `power` (any callable, e.g. a
/// power law for tests) and the sources n in the background c (any Omega_k). Throws
/// std::invalid_argument naming a bad ell or option.
std::vector<double> limber_kappa_cl(const Cosmology& c, const LimberPower& power,
                                    const SourceDistribution& n, const std::vector<double>& ell,
                                    const LimberOptions& options = {});

/// C_ell^kk (dimensionless) at each ell >= 1 from the linear spectrum lin (halofit = false) or
/// Takahashi et al. (2012) halofit on it (halofit = true); c must be lin's cosmology
/// (std::invalid_argument when its parameters differ).
std::vector<double> limber_kappa_cl(const Cosmology& c, const LinearPower& lin,
                                    const SourceDistribution& n, const std::vector<double>& ell,
                                    bool halofit, const LimberOptions& options = {});

}  // namespace cosmograd::sim
