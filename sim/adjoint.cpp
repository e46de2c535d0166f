#include "sim/adjoint.hpp"

#include <cmath>
#include <stdexcept>

#include "sim/backend.hpp"
#include "sim/device_sim.hpp"
#include "sim/ghosts.hpp"
#include "sim/migrate.hpp"
#include "sim/stepping.hpp"
#include "sim/white_noise.hpp"

namespace cosmograd::sim {
namespace {

/// sum_i a_i b_i in double, in a fixed order.
template <class T>
double dot(const std::vector<T>& a, const std::vector<T>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

/// out = ca a + cb b (element-wise).
template <class T>
void axpby(double ca, const std::vector<T>& a, double cb, const std::vector<T>& b,
           std::vector<T>& out) {
  out.resize(a.size());
  const T fa = static_cast<T>(ca), fb = static_cast<T>(cb);
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < a.size(); ++i) out[i] = fa * a[i] + fb * b[i];
}

/// theta_bar += g * (dual part of f).
inline void add_dual(std::array<double, kNumCosmoParams>& theta, const CosmoDual& f, double g) {
  for (int i = 0; i < kNumCosmoParams; ++i) theta[i] += g * f.d[i];
}

}  // namespace

GradientMode parse_gradient_mode(const std::string& name) {
  if (name == "adjoint") return GradientMode::adjoint;
  if (name == "checkpoint") return GradientMode::checkpoint;
  throw std::invalid_argument("gradient_mode = '" + name +
                              "' is not a gradient mode (allowed: adjoint, checkpoint)");
}

void check_differentiable_config(const SimConfig& c, int checkpoint_every) {
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
struct DifferentiableSim<T>::Impl {
  Cosmology cosmology;
  CosmologyDual cosmology_dual;
  std::unique_ptr<LinearPower> linear;
  std::unique_ptr<LinearPowerT<CosmoDual>> linear_dual;
  Fft<T> fft;                               // particle grid
  Field<T> noise;                           // w of the last forward()
  std::map<int, Particles<T>> checkpoints;  // step -> state (checkpoint mode)
  std::map<int, Particles<T>> segment;      // step -> state inside the current segment

  Impl(const SimConfig& c, int threads, const Comm& comm)
      : cosmology(c.cosmology),
        cosmology_dual(seed_duals(c.cosmology)),
        linear(make_linear_power<double>(c.transfer.name, cosmology,
                                         LinearPowerOptions{c.transfer.table_path, false, {}})),
        linear_dual(make_linear_power<CosmoDual>(
            c.transfer.name, cosmology_dual, LinearPowerOptions{c.transfer.table_path, false, {}})),
        fft(Decomposition(c.particles, comm), threads, c.fft_planning),
        noise(Decomposition(c.particles, comm)) {}
};

template <class T>
DifferentiableSim<T>::DifferentiableSim(const SimConfig& c, GradientMode mode, int checkpoint_every,
                                        const Comm& comm)
    : config_(c),
      mode_(mode),
      checkpoint_every_(checkpoint_every),
      comm_(comm),
      grid_(c.time_grid()) {
  check_differentiable_config(c, checkpoint_every);
  if (c.device == Device::cuda) {
    if (comm.distributed()) {
      throw std::invalid_argument("device = 'cuda' runs on one rank, not " +
                                  std::to_string(comm.size()) + " MPI ranks (allowed: cpu)");
    }
    device_sim_ = make_cuda_sim<T>(c, mode, checkpoint_every);
    return;
  }
  if (mode == GradientMode::checkpoint && comm.distributed()) {
    throw std::invalid_argument(
        "gradient_mode = 'checkpoint' is not available with " + std::to_string(comm.size()) +
        " MPI ranks (allowed: adjoint; checkpointing is serial-only for now)");
  }
  impl_ = std::make_unique<Impl>(c, use_threads(c.threads), comm);
  gravity_ =
      std::make_unique<Gravity<T>>(c.mesh, c.box_size, use_threads(c.threads), c.fft_planning,
                                   ForceOptions{c.painter, c.gradient, c.force_deconvolve}, comm);
}

template <class T>
DifferentiableSim<T>::~DifferentiableSim() = default;

template <class T>
Gravity<T>& DifferentiableSim<T>::gravity() {
  if (!gravity_) {
    throw std::logic_error("DifferentiableSim::gravity: device = 'cuda' has no host force solver");
  }
  return *gravity_;
}

template <class T>
Field<T> DifferentiableSim<T>::white_noise() const {
  if (device_sim_) return device_sim_->white_noise();
  Field<T> w{Decomposition(config_.particles, comm_)};
  fill_white_noise_real(w, NoiseOptions{config_.seed, config_.fixed_amplitude, config_.paired},
                        impl_->fft);
  return w;
}

template <class T>
const Particles<T>& DifferentiableSim<T>::forward(const Field<T>& w) {
  if (device_sim_) {
    device_sim_->forward(w);
    device_sim_->state(state_);
    return state_;
  }
  Impl& m = *impl_;
  m.noise = w.clone();
  m.checkpoints.clear();
  m.segment.clear();
  state_ = lpt_particles_from_noise(w, config_.box_size, config_.lpt_order, m.cosmology, *m.linear,
                                    grid_.front(), m.fft);
  Events<T> events;
  if (mode_ == GradientMode::checkpoint) {
    events.on_step([this](const StepInfo& info, const Particles<T>& p) {
      if (info.step % checkpoint_every_ == 0) impl_->checkpoints[info.step] = p;
    });
  }
  KdkIntegrator<T> kdk(m.cosmology, *gravity_, total_particles());
  kdk.run(state_, grid_, events);
  return state_;
}

template <class T>
SimGradients<T> DifferentiableSim<T>::backward(
    const StateCotangent<T>& final_cot, const std::map<double, StateCotangent<T>>& intermediate) {
  if (device_sim_) {
    if (!intermediate.empty()) {
      throw std::invalid_argument(
          "backward: intermediate cotangents are not available with device = 'cuda' (allowed: "
          "final-state cotangents only)");
    }
    SimGradients<T> g = device_sim_->backward(final_cot);
    device_sim_->state(state_);  // the recovered initial state
    return g;
  }
  Impl& m = *impl_;
  const std::size_t np = state_.size();
  if (final_cot.disp.size() != 3 * np || final_cot.mom.size() != 3 * np) {
    throw std::invalid_argument("backward: cotangents must hold 3 values per particle (" +
                                std::to_string(3 * np) + ")");
  }
  if (comm_.distributed() && !intermediate.empty()) {
    throw std::invalid_argument("backward: intermediate cotangents are not available with " +
                                std::to_string(comm_.size()) +
                                " MPI ranks (allowed: final-state cotangents only)");
  }
  const std::size_t total = total_particles();
  const int steps = static_cast<int>(grid_.size()) - 1;
  const double omega_m = config_.cosmology.Omega_m;
  // Cotangent of the state at grid index i, if one was given.
  auto cot_at = [&](int i) -> const StateCotangent<T>* {
    for (const auto& [a, c] : intermediate) {
      if (std::abs(a - grid_[i]) <= 1e-9 * grid_[i]) return &c;
    }
    return nullptr;
  };
  // In checkpoint mode: the stored state at step i (recomputing its segment if needed).
  auto stored_state = [&](int i) -> const Particles<T>& {
    auto it = m.segment.find(i);
    if (it != m.segment.end()) return it->second;
    const int start = (i / checkpoint_every_) * checkpoint_every_;
    m.segment.clear();
    Particles<T> p = m.checkpoints.at(start);
    m.segment[start] = p;
    const int stop = std::min(start + checkpoint_every_, steps);
    std::vector<double> sub(grid_.begin() + start, grid_.begin() + stop + 1);
    Events<T> ev;
    ev.on_step([&, start](const StepInfo& info, const Particles<T>& q) {
      if (info.step > 0) m.segment[start + info.step] = q;
    });
    KdkIntegrator<T> kdk(m.cosmology, *gravity_, total);
    kdk.run(p, sub, ev);
    return m.segment.at(i);
  };

  std::vector<T> xi = final_cot.disp;  // dJ/d disp
  std::vector<T> pi = final_cot.mom;   // dJ/d mom
  std::array<double, kNumCosmoParams> theta{};
  std::vector<T> force, cot;

  // Adds the combined kick at the current position: K1 pi + K2 (pi + extra), where K1 is
  // the first half kick of step `first` and K2 the second half kick of step `first - 1`.
  auto kick_vjp = [&](int first, const StateCotangent<T>* extra) {
    const bool has_k1 = first < steps;
    const bool has_k2 = first > 0;
    CosmoDual k1(0.0), k2(0.0);
    if (has_k1) {
      const double a0 = grid_[first], a1 = grid_[first + 1];
      k1 = kick_factor(m.cosmology_dual, a0, std::sqrt(a0 * a1), a0);
    }
    std::vector<T> pi2 = pi;  // cotangent of the momentum before the K2 kick
    if (extra != nullptr) axpby(1.0, pi, 1.0, extra->mom, pi2);
    if (has_k2) {
      const double a0 = grid_[first - 1], a1 = grid_[first];
      k2 = kick_factor(m.cosmology_dual, std::sqrt(a0 * a1), a1, a1);
    }
    axpby(k1.v, pi, k2.v, pi2, cot);
    theta[static_cast<int>(CosmoParam::Omega_m)] +=
        gravity_->accelerations_vjp(state_, omega_m, total, cot, xi, &force);
    if (has_k1) add_dual(theta, k1, dot(pi, force));
    if (has_k2) add_dual(theta, k2, dot(pi2, force));
    if (extra != nullptr) {
      pi = pi2;
      axpby(1.0, xi, 1.0, extra->disp, xi);
    }
    return k1.v;
  };

  if (steps > 0) {
    if (mode_ == GradientMode::checkpoint) state_ = stored_state(steps);
    kick_vjp(steps, cot_at(steps));  // force at x_n; K2 of the last step
    for (int i = steps - 1; i >= 0; --i) {
      const double a0 = grid_[i], a1 = grid_[i + 1], ah = std::sqrt(a0 * a1);
      const double k2 = kick_factor(m.cosmology, ah, a1, a1);
      const CosmoDual d = drift_factor(m.cosmology_dual, a0, a1, ah);
      kick(state_, force, -k2);                 // p: end of step -> half step
      add_dual(theta, d, dot(xi, state_.mom));  // x1 = x0 + D p_half
      axpby(1.0, pi, d.v, xi, pi);
      drift(state_, -d.v);                              // x: end of step -> start
      migrate(state_, gravity_->decomp(), {&xi, &pi});  // the cotangents travel along
      if (mode_ == GradientMode::checkpoint) {
        const Particles<T>& s = stored_state(i);
        state_.disp = s.disp;
      }
      const double k1 = kick_vjp(i, i > 0 ? cot_at(i) : nullptr);
      kick(state_, force, -k1);  // p: half step -> start of step
      if (mode_ == GradientMode::checkpoint) state_.mom = stored_state(i).mom;
    }
  }
  if (const StateCotangent<T>* c0 = cot_at(0); c0 != nullptr) {  // an output at a_init
    axpby(1.0, xi, 1.0, c0->disp, xi);
    axpby(1.0, pi, 1.0, c0->mom, pi);
  }

  // Back to the lattice layout of the initial conditions (a no-op when serial).
  migrate_home(state_, m.noise.decomp(), {&xi, &pi});
  LptGradients<T> lpt = lpt_vjp(m.noise, config_.box_size, config_.lpt_order, m.cosmology_dual,
                                *m.linear_dual, grid_.front(), xi, pi, m.fft);
  SimGradients<T> out{std::move(lpt.noise), theta};
  for (int i = 0; i < kNumCosmoParams; ++i) out.cosmology[i] += lpt.cosmology[i];
  comm_.sum(out.cosmology.data(), out.cosmology.size());  // every rank's share
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
