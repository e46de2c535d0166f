// The posterior of the initial white noise given data: -ln p(w | d) = J(forward(w)) + |w|^2 / 2
// (a unit Gaussian prior on the white noise; Seljak et al. 2017), with the gradient from
// the engine's reverse-time adjoint (sim::DifferentiableSim). Cosmological parameters may be
// fixed or free (flat prior); free ones follow the white noise in the variable vector.
#pragma once

#include <memory>
#include <vector>

#include "inference/data_model.hpp"
#include "sim/pm/adjoint.hpp"

namespace cosmograd::inference {

/// -ln p(x | data) of the variables x = (w in C order on the particle grid, then the free
/// cosmological parameters), up to a constant.
class Posterior {
 public:
  /// The engine for `spec` (double precision, adjoint gradients) and data `data` seen through
  /// `model`; `free` lists the cosmological parameters that are variables (default: none).
  /// Throws std::invalid_argument for a bad spec or model, or data of the wrong mesh.
  Posterior(const sim::SimSpec& spec, DataModel model, sim::Field<double> data,
            std::vector<sim::CosmoParam> free = {});
  ~Posterior();
  Posterior(const Posterior&) = delete;
  Posterior& operator=(const Posterior&) = delete;

  /// Replaces the data (same mesh), keeping the engine.
  void set_data(sim::Field<double> data);
  /// -ln p(x | data) with the likelihood smoothed on radius `smoothing` [Mpc/h]; with `grad`,
  /// its gradient (resized to dimension()).
  double evaluate(const std::vector<double>& x, std::vector<double>* grad, double smoothing = 0);
  /// The final particles of white noise w (C order, particles^3) with the cosmology of x.
  const sim::Particles<double>& simulate(const std::vector<double>& x);
  /// particles^3 + the number of free parameters.
  std::size_t dimension() const { return cells_ + free_.size(); }
  /// Cells of the white noise, particles^3.
  std::size_t noise_cells() const { return cells_; }
  /// A start: zero white noise, the spec's values of the free parameters.
  std::vector<double> start() const;
  /// Likelihood and prior of the last evaluate().
  double last_likelihood() const { return last_likelihood_; }
  /// The prior term |w|^2 / 2 of the last evaluate().
  double last_prior() const { return last_prior_; }
  /// Forward-and-gradient evaluations so far.
  int evaluations() const { return evaluations_; }
  /// The simulation spec.
  const sim::SimSpec& spec() const { return spec_; }
  /// The data model.
  const DataModel& model() const { return model_; }
  /// The data.
  const sim::Field<double>& data() const { return data_; }
  /// The free parameters, in the order they follow the white noise.
  const std::vector<sim::CosmoParam>& free_parameters() const { return free_; }

 private:
  void load(const std::vector<double>& x);
  void check_data_mesh(const sim::Field<double>& data) const;

  sim::SimSpec spec_;
  DataModel model_;
  sim::Field<double> data_;
  std::vector<sim::CosmoParam> free_;
  std::size_t cells_;
  std::unique_ptr<sim::DifferentiableSim<double>> sim_;
  sim::Field<double> w_;
  double last_likelihood_ = 0, last_prior_ = 0;
  int evaluations_ = 0;
};

/// The white noise of a C-order vector (n^3 values) as a serial real-space field.
sim::Field<double> noise_field(const std::vector<double>& w, int n);
/// The real cells of a serial n^3 field as a C-order vector.
std::vector<double> field_values(const sim::Field<double>& f);

}  // namespace cosmograd::inference
