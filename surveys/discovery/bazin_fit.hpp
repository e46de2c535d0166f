// Bazin et al. (2009, A&A 499, 653, eq. 1) light-curve fits for the feature-based transient
// classifier: f_b(t) = A_b e^{-(t - t0)/tau_fall} / (1 + e^{-(t - t0)/tau_rise}) + B_b, with the
// shape (t0, tau_rise, tau_fall) shared by all bands and an amplitude A_b and a baseline B_b per
// band observed (a joint multi-band fit: more robust than independent per-band fits on the
// sparse WFD cadence, with the per-band amplitudes giving the colours). Weighted least squares
// by Levenberg-Marquardt (Press et al., Numerical Recipes, sec. 15.5) on (t0, ln tau_rise,
// ln tau_fall, A_b, B_b) with an analytic Jacobian, started from the best point of a grid over
// (t0, tau_rise, tau_fall) at which the linear parameters are solved exactly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cosmograd::surveys {

/// Bazin shape e^{-(t - t0)/tau_fall} / (1 + e^{-(t - t0)/tau_rise}) (dimensionless), computed
/// in logs (ln capped at 50 so a rise faster than the fall cannot overflow); times in days.
double bazin_shape_at(double t, double t0, double tau_rise, double tau_fall);

/// Bazin flux a * bazin_shape_at(t, t0, tau_rise, tau_fall) + b (units of a and b).
double bazin_flux(double t, double a, double t0, double tau_rise, double tau_fall, double b);

/// Settings of fit_bazin.
struct BazinFitOptions {
  int max_iterations = 100;     ///< Levenberg-Marquardt iterations, >= 1
  double tau_rise_min = 0.3;    ///< lower bound of tau_rise [days], > 0
  double tau_rise_max = 100.0;  ///< upper bound of tau_rise [days]
  double tau_fall_min = 1.0;    ///< lower bound of tau_fall [days], > 0
  double tau_fall_max = 500.0;  ///< upper bound of tau_fall [days]
  bool fit_baseline = true;     ///< fit B_b per band (false: B_b = 0)
  /// Throws std::invalid_argument naming the field, its value and what is allowed.
  void validate() const;
};

/// Fit flags (bits of BazinFit::flags).
enum BazinFitFlag : unsigned {
  kBazinTooFewPoints = 1u,  ///< fewer observations than parameters: not fitted
  kBazinNotConverged = 2u,  ///< max_iterations reached before the chi2 settled
  kBazinAtBound = 4u,       ///< tau_rise or tau_fall ended at a bound
};

/// A joint Bazin fit of the bands of one light curve.
struct BazinFit {
  double t0 = 0.0;                ///< time parameter t0 [days, the input's time axis]
  double tau_rise = 0.0;          ///< rise time [days]
  double tau_fall = 0.0;          ///< fall time [days]
  std::vector<double> amplitude;  ///< A_b per band (flux units; 0 for a band without data)
  std::vector<double> baseline;   ///< B_b per band (flux units; 0 without data)
  std::vector<int> points;        ///< observations per band
  double chi2 = 0.0;              ///< sum of squared normalised residuals at the solution
  int dof = 0;                    ///< observations minus fitted parameters
  int iterations = 0;             ///< LM iterations done
  unsigned flags = 0;             ///< BazinFitFlag bits; 0 = a clean fit
  /// Time of the maximum of the shape [days]: t0 + tau_rise ln(tau_fall/tau_rise - 1) when
  /// tau_fall > tau_rise (Bazin et al. 2009), else t0 (the shape then has no maximum).
  double peak_time() const;
  /// Model flux of band `band` at time t [days].
  double flux(int band, double t) const;
};

/// Fits the joint Bazin model to observations (time t [days], band index in [0, bands), flux,
/// flux_err > 0, all the same length). Bands without observations get A = B = 0 and no
/// parameters. Throws std::invalid_argument for unequal lengths, a band outside [0, bands),
/// a non-positive error or bad options.
BazinFit fit_bazin(const std::vector<double>& t, const std::vector<int>& band,
                   const std::vector<double>& flux, const std::vector<double>& flux_err, int bands,
                   const BazinFitOptions& options = {});

}  // namespace cosmograd::surveys
