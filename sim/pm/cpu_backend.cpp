#include "sim/pm/cpu_backend.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "sim/core/non_finite.hpp"
#include "sim/mesh/migrate.hpp"
#include "sim/pm/lpt.hpp"

namespace cosmograd::sim {

template <class T>
CpuBackend<T>::CpuBackend(Gravity<T>& gravity, std::size_t total_particles, double Omega_m)
    : gravity_(gravity),
      total_(total_particles),
      omega_m_(Omega_m),
      comm_(gravity.decomp().comm()) {}

template <class T>
CpuBackend<T>::CpuBackend(Gravity<T>& gravity, const IcSpec& ic, const CosmologyTables& tables,
                          int threads, FftPlanning planning, const Comm& comm)
    : gravity_(gravity),
      total_(static_cast<std::size_t>(ic.particles) * ic.particles * ic.particles),
      omega_m_(tables.cosmology.params().Omega_m),
      ic_(ic),
      tables_(&tables),
      fft_(std::make_unique<Fft<T>>(Decomposition(ic.particles, comm), threads, planning)),
      comm_(comm) {}

namespace {

/// What a buffer holds, for error messages.
const char* buf_name(Buf b) {
  switch (b) {
    case Buf::disp:
      return "the displacement";
    case Buf::mom:
      return "the momentum";
    case Buf::acc:
      return "the acceleration";
    case Buf::xi:
      return "the position cotangent (gradient) xi";
    case Buf::pi:
      return "the momentum cotangent (gradient) pi";
    case Buf::cot:
    case Buf::extra:
      break;
  }
  return "a cotangent";
}

}  // namespace

template <class T>
std::vector<T>& CpuBackend<T>::vec(Buf b) {
  switch (b) {
    case Buf::disp:
      return state_.disp;
    case Buf::mom:
      return state_.mom;
    case Buf::acc:
      return acc_;
    case Buf::xi:
      return xi_;
    case Buf::pi:
      return pi_;
    case Buf::cot:
      return cot_;
    case Buf::extra:
      return extra_;
  }
  throw std::logic_error("CpuBackend: unknown buffer");
}

template <class T>
void CpuBackend<T>::axpy(Buf out, double f, Buf in) {
  std::vector<T>& y = vec(out);
  const std::vector<T>& x = vec(in);
  const T ft = static_cast<T>(f);
  T* yp = y.data();
  const T* xp = x.data();
  const std::size_t n = y.size();
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < n; ++i) yp[i] += ft * xp[i];
}

template <class T>
void CpuBackend<T>::axpby(Buf out, double ca, Buf a, double cb, Buf b) {
  const std::vector<T>& x = vec(a);
  const std::vector<T>& y = vec(b);
  std::vector<T>& z = vec(out);
  z.resize(x.size());
  const T fa = static_cast<T>(ca), fb = static_cast<T>(cb);
  const T* xp = x.data();
  const T* yp = y.data();
  T* zp = z.data();
  const std::size_t n = x.size();
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < n; ++i) zp[i] = fa * xp[i] + fb * yp[i];
}

template <class T>
void CpuBackend<T>::zero(Buf out) {
  vec(out).assign(3 * state_.size(), T(0));
}

template <class T>
void CpuBackend<T>::add_dot(Buf a, Buf b, const ParamGradient& weight) {
  const std::vector<T>& x = vec(a);
  const std::vector<T>& y = vec(b);
  double s = 0;  // in double, in a fixed order
  for (std::size_t i = 0; i < x.size(); ++i) s += static_cast<double>(x[i]) * y[i];
  if (!std::isfinite(s)) report_non_finite({a, b});  // the gradient's guard, at no extra cost
  for (int i = 0; i < kNumCosmoParams; ++i) grad_[i] += weight[i] * s;
}

template <class T>
void CpuBackend<T>::report_non_finite(std::initializer_list<Buf> bufs) {
  for (Buf b : bufs) {
    const std::string bad = describe_first_non_finite(vec(b), state_.id, buf_name(b));
    if (!bad.empty()) throw NonFiniteError(bad);
  }
  throw NonFiniteError("a dot product of the adjoint overflowed (all its terms are finite)");
}

template <class T>
ParamGradient CpuBackend<T>::take_gradient() {
  ParamGradient g = grad_;
  comm_.sum(g.data(), g.size());  // every rank's share
  grad_ = ParamGradient{};
  return g;
}

template <class T>
void CpuBackend<T>::accelerations() {
  gravity_.accelerations(state_, omega_m_, total_, acc_);
}

template <class T>
void CpuBackend<T>::accelerations_vjp() {
  if (xi_.size() != 3 * state_.size()) xi_.assign(3 * state_.size(), T(0));
  grad_[static_cast<int>(CosmoParam::Omega_m)] +=
      gravity_.accelerations_vjp(state_, omega_m_, total_, cot_, xi_, &acc_);
}

template <class T>
void CpuBackend<T>::migrate(bool cotangents) {
  if (cotangents) {
    sim::migrate(state_, gravity_.decomp(), {&xi_, &pi_});
  } else {
    sim::migrate(state_, gravity_.decomp());
  }
}

template <class T>
void CpuBackend<T>::check_cotangent(const StateCotangent<T>& c, const char* what) const {
  const std::size_t m = 3 * state_.size();
  if (c.disp.size() != m || c.mom.size() != m) {
    throw std::invalid_argument(
        std::string(what) + ": cotangents must hold 3 values per particle (" + std::to_string(m) +
        "), got " + std::to_string(c.disp.size()) + " and " + std::to_string(c.mom.size()));
  }
}

template <class T>
void CpuBackend<T>::add_cotangent(const StateCotangent<T>& c) {
  check_cotangent(c, "add_cotangent");
  const std::size_t m = 3 * state_.size();
  for (std::size_t i = 0; i < m; ++i) {
    xi_[i] += c.disp[i];
    pi_[i] += c.mom[i];
  }
}

template <class T>
void CpuBackend<T>::set_cotangent(const StateCotangent<T>& c) {
  check_cotangent(c, "backward");
  xi_ = c.disp;
  pi_ = c.mom;
}

template <class T>
void CpuBackend<T>::require_ic(const char* what) const {
  if (tables_ == nullptr) {
    throw std::logic_error(std::string("CpuBackend::") + what +
                           ": this backend was made for stepping only (no initial conditions)");
  }
}

template <class T>
Field<T> CpuBackend<T>::white_noise() {
  require_ic("white_noise");
  Field<T> w{Decomposition(ic_.particles, comm_)};
  fill_white_noise_real(w, ic_.noise, *fft_);
  return w;
}

template <class T>
void CpuBackend<T>::initial_conditions(const Field<T>& w) {
  require_ic("initial_conditions");
  noise_ = std::make_unique<Field<T>>(w.clone());
  state_ = lpt_particles_from_noise(w, ic_.box_size, ic_.lpt_order, tables_->cosmology,
                                    *tables_->linear, ic_.a_init, *fft_);
}

template <class T>
Field<T> CpuBackend<T>::initial_conditions_vjp() {
  require_ic("initial_conditions_vjp");
  if (!noise_) throw std::logic_error("initial_conditions_vjp: call initial_conditions() first");
  // Back to the lattice layout of the initial conditions (a no-op when serial).
  migrate_home(state_, noise_->decomp(), {&xi_, &pi_});
  LptGradients<T> lpt = lpt_vjp(*noise_, ic_.box_size, ic_.lpt_order, tables_->dual,
                                *tables_->linear_dual, ic_.a_init, xi_, pi_, *fft_);
  for (int i = 0; i < kNumCosmoParams; ++i) grad_[i] += lpt.cosmology[i];
  return std::move(lpt.noise);
}

template <class T>
void CpuBackend<T>::set_cosmology(const CosmologyTables& tables) {
  tables_ = &tables;
  omega_m_ = tables.cosmology.params().Omega_m;
}

template <class T>
StepTimings evolve(Particles<T>& p, Gravity<T>& gravity, const StepSchedule& s, double Omega_m,
                   const Observers<T>& observers, int first_step) {
  const std::size_t total = static_cast<std::size_t>(p.n_side) * p.n_side * p.n_side;
  CpuBackend<T> backend(gravity, total, Omega_m);
  backend.state() = std::move(p);
  KdkStepper<T> stepper(backend);
  try {
    stepper.forward(s, observers, first_step);
  } catch (...) {
    p = std::move(backend.state());
    throw;
  }
  p = std::move(backend.state());
  return stepper.timings();
}

template class CpuBackend<float>;
template class CpuBackend<double>;
template StepTimings evolve<float>(Particles<float>&, Gravity<float>&, const StepSchedule&, double,
                                   const Observers<float>&, int);
template StepTimings evolve<double>(Particles<double>&, Gravity<double>&, const StepSchedule&,
                                    double, const Observers<double>&, int);

}  // namespace cosmograd::sim
