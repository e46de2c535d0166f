// Levenberg-Marquardt Sersic fits of galaxy stamps, the classical baseline of the structural-
// parameter CNN (the role GALFIT, Peng et al. 2002, plays for DeepLeGATo, Tuccillo et al. 2018,
// and GaLNets, Li et al. 2022). The model is the batched renderer (surveys/batched/
// batched_render.hpp) convolved with the stamp's PSF; chi^2 uses the known background sigma.
// Damped Gauss-Newton steps (J^T J + lambda D) delta = -J^T r (Levenberg 1944; Marquardt 1963)
// with Moré's (1978) scaling D = the running maximum of diag(J^T J), run on a batch of stamps at
// once; the Jacobian by forward differences (analytic in log flux); box bounds by projection
// with parameters at a bound whose gradient points outwards held fixed.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace cosmograd::surveys {

/// Flags of a fit (bits of SersicFit::flags).
enum SersicFitFlag : std::uint32_t {
  kFitNAtBound = 1,       ///< n within 1e-3 of n_min or n_max
  kFitReAtBound = 2,      ///< R_e within 0.1% of re_min or re_max
  kFitQAtBound = 4,       ///< |e| within 1e-4 of max_ellipticity (q at its lower bound)
  kFitNotConverged = 8,   ///< max_iterations reached
  kFitCentreAtBound = 16  ///< the centre at the stamp's edge
};

/// Settings of the fitter.
struct SersicFitOptions {
  int max_iterations = 100;       ///< LM trials per stamp before kFitNotConverged
  int oversample = 3;             ///< renderer sub-samples per pixel side (as the stamps')
  double truncation = 4;          ///< Sersic truncation radius [R_e] (as the stamps')
  double n_min = 0.3;             ///< Sersic index bounds (the renderer's [0.3, 6.2])
  double n_max = 6.2;             ///< upper bound of n
  double re_min = 0.3;            ///< R_e bounds [pixels]
  double re_max = 0;              ///< [pixels]; 0: a third of the stamp side
  double max_ellipticity = 0.85;  ///< |e| bound (q >= (1 - 0.85) / (1 + 0.85) = 0.081)
  double ftol = 1e-9;             ///< converged when an accepted step lowers chi^2 by < ftol chi^2
  double xtol = 1e-8;             ///< or moves no parameter by more than this (internal units)
  int chunk = 16;                 ///< stamps fitted together (one render canvas)
  /// Throws std::invalid_argument naming the field, the value and what is allowed.
  void validate() const;
};

/// One stamp's best fit, 1-sigma errors from (J^T J)^-1 at the best fit, and diagnostics.
struct SersicFit {
  double flux = 0, flux_err = 0;  ///< total flux [image units] and its error
  double re = 0, re_err = 0;      ///< circularised half-light radius [pixels]
  double n = 0, n_err = 0;        ///< Sersic index
  double e1 = 0, e1_err = 0;      ///< ellipticity (a - b)/(a + b) along x
  double e2 = 0, e2_err = 0;      ///< along the diagonal
  double q = 0, q_err = 0;        ///< axis ratio b / a
  double pa = 0, pa_err = 0;      ///< major-axis angle from +x towards +y [rad], [-pi/2, pi/2]
  double x0 = 0, y0 = 0;          ///< centre [pixels]
  double chi2_dof = 0;            ///< chi^2 / (pixels - 7)
  int iterations = 0;             ///< LM trials
  std::uint32_t flags = 0;        ///< SersicFitFlag bits
};

/// Fits every stamp: images [B, S, S], psfs [B, P, P] (odd P, sum 1), sigma [B] background rms
/// (> 0, image units), any floating dtype (computed in float64 on the CPU).
std::vector<SersicFit> fit_sersic(const torch::Tensor& images, const torch::Tensor& psfs,
                                  const torch::Tensor& sigma, const SersicFitOptions& options);

/// The moment-based start of a fit (flux sum, centroid, PSF-corrected second moments -> R_e and
/// ellipticity, n = 2) for one stamp [S * S values]; exposed for tests.
SersicFit sersic_moment_start(const double* image, int size, double sigma, double psf_sigma2);

/// Linear error propagation from (e1, e2) with covariance [[c11, c12], [c12, c22]] to
/// q = (1 - |e|) / (1 + |e|) and PA = atan2(e2, e1) / 2: sets q, pa, q_err, pa_err of `fit`.
void set_axis_ratio_and_angle(SersicFit& fit, double c11, double c12, double c22);

}  // namespace cosmograd::surveys
