// The field-level posterior of the white noise and the cosmology as the log density HMC samples:
// the variables q = (w, u) with each bounded parameter theta = lo + (hi - lo) / (1 + e^{-u}),
// so a uniform prior on [lo, hi] becomes log (hi - lo) + log sigma(u) + log(1 - sigma(u)) on
// the real line (Stan Reference Manual, "Lower and upper bounded scalar"). The white noise may be
// preconditioned, w = F^-1 [s(k) F v] with v the sampler's variables, which makes unit mass in v
// a Fourier-diagonal mass in w (BORG's choice, Jasche & Wandelt 2013, MNRAS 432, 894: the
// linear-theory posterior M = S^-1 + R^T N^-1 R).
#pragma once

#include <memory>
#include <vector>

#include "driver/campaign_design.hpp"
#include "inference/posterior.hpp"
#include "sim/mesh/fft.hpp"

namespace cosmograd::inference {

/// The linear-theory posterior width of each white-noise mode (r2c layout of the particle grid,
/// Decomposition(particles).complex_index): s = (1 + f b1^2 P_lin(k, a_final) W(k)^2 / P_N)^-1/2
/// at the cosmology `at`, with W the data painter's window, f the observed fraction of the mask,
/// and s = 1 beyond the data mesh's Nyquist frequency.
std::vector<double> linear_posterior_scale(const sim::SimSpec& spec, const DataModel& model,
                                           const sim::CosmologyParams& at);

/// log pi(q) = -(-ln p(w, theta | d)) + log |d theta / d u| of a Posterior whose free parameters
/// carry uniform priors.
class FieldTarget {
 public:
  /// `priors` name the posterior's free parameters in their order; the posterior outlives this.
  /// `scale` preconditions the white noise (r2c layout, see linear_posterior_scale; empty: none).
  /// Throws std::invalid_argument when the priors differ from posterior.free_parameters() or the
  /// scale has the wrong size or a value <= 0.
  FieldTarget(Posterior& posterior, std::vector<driver::ParameterRange> priors,
              std::vector<double> scale = {});
  ~FieldTarget();

  /// log pi(q) and, with `grad`, d log pi / dq (resized); -inf where the engine fails.
  double operator()(const std::vector<double>& q, std::vector<double>* grad);
  /// q of the posterior's variables x = (w, theta); throws when theta is outside its prior.
  std::vector<double> to_unconstrained(const std::vector<double>& x) const;
  /// x = (w, theta) of the sampler's q.
  std::vector<double> to_constrained(const std::vector<double>& q) const;
  /// The parameters theta of q (the free parameters only).
  std::vector<double> parameters(const std::vector<double>& q) const;
  /// particles^3 + the number of free parameters.
  std::size_t dimension() const { return posterior_.dimension(); }
  /// The priors.
  const std::vector<driver::ParameterRange>& priors() const { return priors_; }

 private:
  Posterior& posterior_;
  std::vector<driver::ParameterRange> priors_;
  std::vector<double> scale_;
  std::unique_ptr<sim::Fft<double>> fft_;
  std::vector<double> x_, grad_x_;

  // w = F^-1 [s F v] (inverse: v = F^-1 [F w / s]) on the first noise_cells() entries of `x`,
  // in place.
  void precondition(std::vector<double>& x, bool inverse) const;
};

}  // namespace cosmograd::inference
