// The white-noise posterior through the engine's adjoint (see posterior.hpp).
#include "inference/posterior.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace cosmograd::inference {

sim::Field<double> noise_field(const std::vector<double>& w, int n) {
  const std::size_t cells = static_cast<std::size_t>(n) * n * n;
  if (w.size() < cells) {
    throw std::invalid_argument("noise_field: " + std::to_string(w.size()) + " values for " +
                                std::to_string(n) + "^3 cells");
  }
  sim::Field<double> f{sim::Decomposition(n)};
  std::size_t c = 0;
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) f.at(x, y, z) = w[c++];
    }
  }
  return f;
}

std::vector<double> field_values(const sim::Field<double>& f) {
  const int n = f.n();
  std::vector<double> v;
  v.reserve(static_cast<std::size_t>(n) * n * n);
  for (int x = 0; x < f.decomp().nx_local(); ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) v.push_back(f.at(x, y, z));
    }
  }
  return v;
}

Posterior::Posterior(const sim::SimSpec& spec, DataModel model, sim::Field<double> data,
                     std::vector<sim::CosmoParam> free)
    : spec_(spec),
      model_(std::move(model)),
      data_(std::move(data)),
      free_(std::move(free)),
      cells_(static_cast<std::size_t>(spec.particles) * spec.particles * spec.particles),
      w_(sim::Decomposition(spec.particles)) {
  spec_.double_precision = true;
  model_.box_size = spec_.box_size;
  if (model_.rsd_axis >= 0) {
    if (!free_.empty()) {
      throw std::invalid_argument(
          "posterior: free cosmological parameters with redshift-space data (los) are not "
          "supported: the line-of-sight shift 1/(a^2 E(a)) would need its parameter derivative");
    }
    model_.rsd_factor = rsd_shift_factor(sim::Cosmology(spec_.cosmology), spec_.a_final());
  }
  model_.validate();
  check_data_mesh(data_);
  sim_ = std::make_unique<sim::DifferentiableSim<double>>(spec_);
}

Posterior::~Posterior() = default;

void Posterior::check_data_mesh(const sim::Field<double>& data) const {
  if (data.n() != model_.mesh) {
    throw std::invalid_argument("posterior: data mesh " + std::to_string(data.n()) +
                                " does not match data_mesh = " + std::to_string(model_.mesh));
  }
}

void Posterior::set_data(sim::Field<double> data) {
  check_data_mesh(data);
  data_ = std::move(data);
}

std::vector<double> Posterior::start() const {
  std::vector<double> x(dimension(), 0.0);
  for (std::size_t i = 0; i < free_.size(); ++i) {
    x[cells_ + i] = sim::param(spec_.cosmology, free_[i]);
  }
  return x;
}

void Posterior::load(const std::vector<double>& x) {
  if (x.size() != dimension()) {
    throw std::invalid_argument("posterior: " + std::to_string(x.size()) + " variables, expected " +
                                std::to_string(dimension()));
  }
  if (!free_.empty()) {
    sim::CosmologyParams params = sim_->cosmology();
    for (std::size_t i = 0; i < free_.size(); ++i) sim::param(params, free_[i]) = x[cells_ + i];
    sim_->set_cosmology(params);
  }
  const int n = spec_.particles;
  std::size_t c = 0;
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      for (int k = 0; k < n; ++k) w_.at(i, j, k) = x[c++];
    }
  }
}

const sim::Particles<double>& Posterior::simulate(const std::vector<double>& x) {
  if (x.size() == cells_ && !free_.empty()) {
    std::vector<double> full = start();
    std::copy(x.begin(), x.end(), full.begin());
    load(full);
  } else {
    load(x);
  }
  return sim_->forward(w_);
}

double Posterior::evaluate(const std::vector<double>& x, std::vector<double>* grad,
                           double smoothing) {
  load(x);
  const sim::Particles<double>& p = sim_->forward(w_);
  sim::StateCotangent<double> cot;
  last_likelihood_ = data_likelihood(model_, p, data_, smoothing, grad ? &cot : nullptr);
  last_prior_ = 0;
  for (std::size_t i = 0; i < cells_; ++i) last_prior_ += 0.5 * x[i] * x[i];
  ++evaluations_;
  if (grad != nullptr) {
    const sim::SimGradients<double> g = sim_->backward(cot);
    grad->assign(dimension(), 0.0);
    const std::vector<double> gw = field_values(g.noise);
    for (std::size_t i = 0; i < cells_; ++i) (*grad)[i] = gw[i] + x[i];
    for (std::size_t i = 0; i < free_.size(); ++i) {
      (*grad)[cells_ + i] = g.cosmology[static_cast<std::size_t>(free_[i])];
    }
  }
  return last_likelihood_ + last_prior_;
}

}  // namespace cosmograd::inference
