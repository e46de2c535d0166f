#include "sim/pm/adjoint.hpp"

#include <cmath>
#include <stdexcept>

#include "sim/core/backend.hpp"
#include "sim/mesh/ghosts.hpp"
#include "sim/pm/cpu_backend.hpp"

namespace cosmograd::sim {
namespace {

/// Adds fixed cotangents at chosen grid points (DifferentiableSim::backward's intermediate).
template <class T>
class FixedCotangents final : public StepObserver<T> {
 public:
  explicit FixedCotangents(const std::map<int, StateCotangent<T>>& at) : at_(at) {}
  bool wants_state(int step) const override { return at_.count(step) != 0; }
  bool has_state_cotangent(int step) const override { return at_.count(step) != 0; }
  bool reads_particles() const override { return false; }
  void state_cotangent(int step, const Particles<T>&, StateCotangent<T>& cot) override {
    const StateCotangent<T>& c = at_.at(step);
    if (c.disp.size() != cot.disp.size() || c.mom.size() != cot.mom.size()) {
      throw std::invalid_argument(
          "backward: the cotangents at step " + std::to_string(step) +
          " must hold 3 values per particle (" + std::to_string(cot.disp.size()) + "), got " +
          std::to_string(c.disp.size()) + " and " + std::to_string(c.mom.size()));
    }
    for (std::size_t i = 0; i < c.disp.size(); ++i) {
      cot.disp[i] += c.disp[i];
      cot.mom[i] += c.mom[i];
    }
  }

 private:
  const std::map<int, StateCotangent<T>>& at_;
};

/// Whether two parameter sets give the same tables.
bool same_params(CosmologyParams a, CosmologyParams b) {
  for (int i = 0; i < kNumCosmoParams; ++i) {
    if (param(a, static_cast<CosmoParam>(i)) != param(b, static_cast<CosmoParam>(i))) return false;
  }
  return a.Omega_k == b.Omega_k && a.T_cmb == b.T_cmb && a.N_eff == b.N_eff &&
         a.radiation == b.radiation && a.A_s == b.A_s;
}

}  // namespace

void check_differentiable_config(const SimSpec& c, int checkpoint_every) {
  c.validate();
  if (checkpoint_every < 1) {
    throw std::invalid_argument("checkpoint_every = " + std::to_string(checkpoint_every) +
                                " is out of range (allowed: >= 1)");
  }
  if (!c.ic_linear_field.empty()) {
    throw std::invalid_argument(
        "ic_linear_field = '" + c.ic_linear_field +
        "' is not differentiable here (allowed: empty; gradients are taken w.r.t. white noise)");
  }
}

template <class T>
DifferentiableSim<T>::DifferentiableSim(const SimSpec& c, GradientMode mode, int checkpoint_every,
                                        const Comm& comm)
    : config_(c), mode_(mode), comm_(comm) {
  check_differentiable_config(c, checkpoint_every);
  if (comm.distributed() && c.device == Device::cuda) {
    throw std::invalid_argument("device = 'cuda' runs on one rank, not " +
                                std::to_string(comm.size()) + " MPI ranks (allowed: cpu)");
  }
  if (mode == GradientMode::checkpoint && comm.distributed()) {
    throw std::invalid_argument(
        "gradient_mode = 'checkpoint' is not available with " + std::to_string(comm.size()) +
        " MPI ranks (allowed: adjoint; checkpointing is serial-only for now)");
  }
  tables_ = std::make_unique<CosmologyTables>(c.cosmology, c.transfer.name, c.transfer.table_path);
  schedule_ = std::make_unique<StepSchedule>(tables_->cosmology, tables_->dual, c.time_grid());
  if (c.device == Device::cuda) {
    backend_ = make_cuda_backend<T>(c, *tables_);
  } else {
    const int threads = use_threads(c.threads);
    gravity_ =
        std::make_unique<Gravity<T>>(c.mesh, c.box_size, threads, c.fft_planning,
                                     ForceOptions{c.painter, c.gradient, c.force_deconvolve}, comm);
    const IcSpec ic{c.particles, c.box_size, c.lpt_order, schedule_->a(0),
                    NoiseOptions{c.seed, c.fixed_amplitude, c.paired}};
    backend_ =
        std::make_unique<CpuBackend<T>>(*gravity_, ic, *tables_, threads, c.fft_planning, comm);
  }
  stepper_ = std::make_unique<KdkStepper<T>>(*backend_, mode, checkpoint_every);
}

template <class T>
DifferentiableSim<T>::~DifferentiableSim() = default;

template <class T>
void DifferentiableSim<T>::set_cosmology(const CosmologyParams& params) {
  if (same_params(params, config_.cosmology)) return;
  params.validate();
  auto tables =
      std::make_unique<CosmologyTables>(params, config_.transfer.name, config_.transfer.table_path);
  auto schedule =
      std::make_unique<StepSchedule>(tables->cosmology, tables->dual, schedule_->grid());
  backend_->set_cosmology(*tables);
  tables_ = std::move(tables);
  schedule_ = std::move(schedule);
  config_.cosmology = params;
}

template <class T>
const Particles<T>& DifferentiableSim<T>::final_state() const {
  if (state_ == nullptr) throw std::logic_error("DifferentiableSim: call forward() first");
  return *state_;
}

template <class T>
Gravity<T>& DifferentiableSim<T>::gravity() {
  if (!gravity_) {
    throw std::logic_error("DifferentiableSim::gravity: device = 'cuda' has no host force solver");
  }
  return *gravity_;
}

template <class T>
Field<T> DifferentiableSim<T>::white_noise() const {
  return backend_->white_noise();
}

template <class T>
const Particles<T>& DifferentiableSim<T>::forward(const Field<T>& w,
                                                  const Observers<T>& observers) {
  if (w.n() != config_.particles) {
    throw std::invalid_argument(
        "forward: the noise mesh has n = " + std::to_string(w.n()) +
        ", expected the particle grid n = " + std::to_string(config_.particles));
  }
  backend_->initial_conditions(w);
  stepper_->forward(*schedule_, observers);
  state_ = &backend_->host_state();
  return *state_;
}

template <class T>
SimGradients<T> DifferentiableSim<T>::backward(const StateCotangent<T>& final_cot,
                                               const std::map<int, StateCotangent<T>>& intermediate,
                                               const Observers<T>& observers) {
  if (comm_.distributed() && !intermediate.empty()) {
    throw std::invalid_argument("backward: intermediate cotangents are not available with " +
                                std::to_string(comm_.size()) +
                                " MPI ranks (allowed: final-state cotangents only)");
  }
  for (const auto& [step, c] : intermediate) {
    if (step < 0 || step > schedule_->steps()) {
      throw std::invalid_argument("backward: intermediate cotangent at step " +
                                  std::to_string(step) + " (allowed: 0.." +
                                  std::to_string(schedule_->steps()) + ")");
    }
  }
  backend_->set_cotangent(final_cot);
  FixedCotangents<T> fixed(intermediate);
  Observers<T> all = observers;
  if (!intermediate.empty()) all.push_back(&fixed);
  stepper_->backward(*schedule_, all);
  SimGradients<T> out{backend_->initial_conditions_vjp(), backend_->take_gradient()};
  for (const StepObserver<T>* o : observers) o->add_parameter_gradient(out.cosmology);
  state_ = &backend_->host_state();  // the recovered initial state
  return out;
}

template <class T>
double density_chi2(const Particles<T>& p, const Field<T>& data, double sigma, PaintKernel kernel,
                    StateCotangent<T>* cot, const Decomposition* particles_mesh) {
  const Decomposition& d = data.decomp();
  if (d.distributed() && particles_mesh == nullptr) {
    throw std::invalid_argument(
        "density_chi2: distributed data needs the mesh the particles were migrated for");
  }
  const int n = d.n();
  const double total = std::pow(static_cast<double>(p.n_side), 3);
  const double mass = std::pow(static_cast<double>(n), 3) / total;
  Field<T> residual(particles_mesh != nullptr ? with_paint_ghosts(d, *particles_mesh) : d);
  paint(residual, p, p.box_size, kernel, static_cast<T>(mass));
  reduce_ghosts(residual);
  double chi2 = 0;
  for (int x = 0; x < d.nx_local(); ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) {
        // delta - data, then dJ/d(painted mesh) = (delta - data) / sigma^2
        const double r = residual.at(x, y, z) - 1.0 - data.at(x, y, z);
        chi2 += r * r;
        residual.at(x, y, z) = static_cast<T>(r / (sigma * sigma));
      }
    }
  }
  chi2 = d.comm().sum(chi2);
  if (cot != nullptr) {
    fill_ghosts(residual);
    cot->disp.resize(3 * p.size(), T(0));
    paint_vjp(residual, p, p.box_size, kernel, static_cast<T>(mass), cot->disp.data());
  }
  return chi2 / (2 * sigma * sigma);
}

template class DifferentiableSim<float>;
template class DifferentiableSim<double>;
template double density_chi2<float>(const Particles<float>&, const Field<float>&, double,
                                    PaintKernel, StateCotangent<float>*, const Decomposition*);
template double density_chi2<double>(const Particles<double>&, const Field<double>&, double,
                                     PaintKernel, StateCotangent<double>*, const Decomposition*);

}  // namespace cosmograd::sim
