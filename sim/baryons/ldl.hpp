// Lagrangian Deep Learning (LDL; Dai & Seljak 2021, PNAS 118, e2020324118): a baryon painter
// with a handful of parameters that acts on the particles of a dark-matter-only run.
//
// Displacement layer (their eqs. 1-3): particles move by
//   S(x) = alpha grad O(k) f,  f = (rho + eps)^gamma,
//   O(k) = exp(-k_l^2 / k^2 - k^2 / k_h^2) k^n   (O(0) = 0),
// with rho the CIC density of the particles in units of the mean (1 + delta) on the LDL mesh,
// the gradient i k in Fourier space (Nyquist modes zeroed) and S read out at the particles with
// CIC: 5 parameters (alpha [Mpc/h], gamma, k_l [h/Mpc], k_h [h/Mpc], n). eps = 1e-3 keeps the
// derivative of f finite in empty cells.
// Output layer (their eq. 4): F = ReLU(b1 (rho + eps)^mu + b0) of the density of the displaced
// particles: 3 parameters. Without it the model paints the density 1 + delta of the displaced
// particles (the baryon-corrected matter target).
//
// Every operation is the engine's (sim/mesh: FFT, paint, readout) and the gradient of a loss
// with respect to the parameters is their hand-written vjps run backwards through the layers
// (ldl_loss_gradient), checked against finite differences in tests/sim/baryons/test_ldl.cpp.
// Serial meshes, double precision.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sim/mesh/field.hpp"
#include "sim/mesh/particles.hpp"

namespace cosmograd::sim {

/// One LDL displacement layer (Dai & Seljak 2021, eqs. 1-3).
struct LdlLayer {
  double alpha = 0;  ///< amplitude of the displacement [Mpc/h per unit of grad O f]
  double gamma = 1;  ///< exponent of the density in f = (rho + eps)^gamma
  double k_l = 0.1;  ///< large-scale cut of the filter [h/Mpc], > 0
  double k_h = 3;    ///< small-scale cut of the filter [h/Mpc], > 0
  double n = 0;      ///< power of k in the filter
};

/// The LDL output layer F = ReLU(b1 (rho + eps)^mu + b0) (Dai & Seljak 2021, eq. 4).
struct LdlOutput {
  double b1 = 1;  ///< amplitude [target units]
  double b0 = 0;  ///< offset [target units]
  double mu = 1;  ///< exponent of the displaced density
};

/// An LDL model: displacement layers, then the output layer when `output` is true.
struct LdlModel {
  int mesh = 64;                 ///< LDL mesh cells per side (paint, filter, readout)
  std::vector<LdlLayer> layers;  ///< displacement layers, applied in order
  bool output = true;            ///< apply the output layer (false: paint 1 + delta)
  LdlOutput out;                 ///< the output layer's parameters

  /// Number of parameters: 5 per layer plus 3 with the output layer.
  int num_parameters() const;
  /// The parameters in order (alpha, gamma, k_l, k_h, n per layer, then b1, b0, mu).
  std::vector<double> parameters() const;
  /// Sets the parameters from the order of parameters(); throws std::invalid_argument on a
  /// wrong count or a non-positive k_l, k_h.
  void set_parameters(const std::vector<double>& values);
  /// (name, value) of every parameter ("layer1_alpha", ..., "b1", "b0", "mu").
  std::vector<std::pair<std::string, double>> named_parameters() const;
  /// Throws std::invalid_argument naming the field, value and allowed range.
  void validate() const;
};

/// The regulariser eps of (rho + eps)^gamma and (rho + eps)^mu.
inline constexpr double kLdlEps = 1e-3;

/// What the LDL fit minimises between the painted field F and the target T (both on the LDL
/// mesh): mse_weight mean_cells (F_s - T_s)^2 / var(T_s) with F_s, T_s smoothed by
/// exp(-k^2 R^2 / 2), plus power_weight mean_bins (ln P_F(k) - ln P_T(k))^2 over bins of width
/// 2 pi / L up to k_max.
struct LdlLoss {
  double smoothing = 0;     ///< Gaussian smoothing radius R [Mpc/h], 0 for none
  double mse_weight = 1;    ///< weight of the normalised mean squared residual
  double power_weight = 0;  ///< weight of the log-power term
  double k_max = 0;         ///< largest k of the power term [h/Mpc]; 0: half the mesh Nyquist
};

/// The LDL field of `p` (periodic box of side p.box_size [Mpc/h]) on the model's n^3 mesh:
/// F (with the output layer) or 1 + delta of the displaced particles. Uses `threads` threads.
Field<double> ldl_paint(const LdlModel& model, const Particles<double>& p, int threads = 1);

/// Particles of `p` moved by the model's displacement layers.
Particles<double> ldl_displace(const LdlModel& model, const Particles<double>& p, int threads = 1);

/// The LDL loss and its gradient on one particle set, keeping its buffers (meshes, the layers'
/// intermediates, particle copies) between calls: the fit evaluates it many times.
class LdlEvaluator {
 public:
  /// An evaluator on a copy of particles `p` (periodic box of side p.box_size [Mpc/h]).
  LdlEvaluator(const Particles<double>& p, int threads = 1);
  ~LdlEvaluator();
  LdlEvaluator(LdlEvaluator&&) noexcept;
  /// The LDL loss (LdlLoss) of the model against `target` (the model's mesh, serial) and,
  /// when `grad` is not null, its gradient with respect to parameters() through the vjps of
  /// the readout, FFT and paint (resized to num_parameters()).
  double loss_gradient(const LdlModel& model, const Field<double>& target, const LdlLoss& loss,
                       std::vector<double>* grad);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// LdlEvaluator(p, threads).loss_gradient(model, target, loss, grad), for one call.
double ldl_loss_gradient(const LdlModel& model, const Particles<double>& p,
                         const Field<double>& target, const LdlLoss& loss,
                         std::vector<double>* grad, int threads = 1);

/// CIC density of `p` in units of its mean, 1 + delta, on a serial n^3 mesh (point i at i L /
/// n, the LDL mesh).
Field<double> ldl_density(const Particles<double>& p, int n);

}  // namespace cosmograd::sim
