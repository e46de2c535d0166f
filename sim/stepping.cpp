#include "sim/stepping.hpp"

#include <cmath>

#include "sim/migrate.hpp"
#include "sim/timer.hpp"

namespace cosmograd::sim {

template <class S>
S kick_factor(const CosmologyT<S>& c, double a, double b, double a_force) {
  return (c.G_D(b) - c.G_D(a)) / c.G_K(a_force);
}

template <class S>
S drift_factor(const CosmologyT<S>& c, double a, double b, double a_momentum) {
  return (c.D1(b) - c.D1(a)) / c.G_D(a_momentum);
}

template double kick_factor<double>(const Cosmology&, double, double, double);
template CosmoDual kick_factor<CosmoDual>(const CosmologyDual&, double, double, double);
template double drift_factor<double>(const Cosmology&, double, double, double);
template CosmoDual drift_factor<CosmoDual>(const CosmologyDual&, double, double, double);

template <class T>
void kick(Particles<T>& p, const std::vector<T>& acc, double factor) {
  const T f = static_cast<T>(factor);
  T* m = p.mom.data();
  const T* g = acc.data();
  const std::size_t n = p.mom.size();
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < n; ++i) m[i] += f * g[i];
}

template <class T>
void drift(Particles<T>& p, double factor) {
  const T f = static_cast<T>(factor);
  T* x = p.disp.data();
  const T* m = p.mom.data();
  const std::size_t n = p.disp.size();
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < n; ++i) x[i] += f * m[i];
}

template <class T>
void Events<T>::emit(const StepInfo& info, const Particles<T>& p) const {
  for (const Callback& cb : step_) cb(info, p);
  for (const Reach& r : reach_) {
    if (std::abs(r.a - info.a) <= 1e-9 * r.a) r.cb(info, p);
  }
}

template <class T>
KdkIntegrator<T>::KdkIntegrator(const Cosmology& cosmology, Gravity<T>& gravity,
                                std::size_t total_particles)
    : cosmology_(cosmology), gravity_(gravity), total_particles_(total_particles) {}

template <class T>
void KdkIntegrator<T>::run(Particles<T>& p, const std::vector<double>& a_grid,
                           const Events<T>& events) {
  Stopwatch total;
  const int steps = static_cast<int>(a_grid.size()) - 1;
  const double omega_m = cosmology_.params().Omega_m;
  StepInfo info;
  info.steps = steps;
  info.a = a_grid.front();
  events.emit(info, p);
  if (steps <= 0) return;
  migrate(p, gravity_.decomp());  // particles to the slab of their position
  gravity_.accelerations(p, omega_m, total_particles_, acc_);
  for (int i = 0; i < steps; ++i) {
    Stopwatch step;
    const double a0 = a_grid[i];
    const double a1 = a_grid[i + 1];
    const double ah = std::sqrt(a0 * a1);
    Stopwatch kd;
    kick(p, acc_, kick_factor(cosmology_, a0, ah, a0));
    drift(p, drift_factor(cosmology_, a0, a1, ah));
    kick_drift_seconds_ += kd.restart();
    migrate(p, gravity_.decomp());
    migrate_seconds_ += kd.seconds();
    gravity_.accelerations(p, omega_m, total_particles_, acc_);
    kd.restart();
    kick(p, acc_, kick_factor(cosmology_, ah, a1, a1));
    kick_drift_seconds_ += kd.seconds();
    info.step = i + 1;
    info.a = a1;
    info.step_seconds = step.seconds();
    info.total_seconds = total.seconds();
    events.emit(info, p);
  }
}

#define COSMOGRAD_INSTANTIATE(T)                                       \
  template void kick<T>(Particles<T>&, const std::vector<T>&, double); \
  template void drift<T>(Particles<T>&, double);                       \
  template class Events<T>;                                            \
  template class KdkIntegrator<T>;
COSMOGRAD_INSTANTIATE(float)
COSMOGRAD_INSTANTIATE(double)
#undef COSMOGRAD_INSTANTIATE

}  // namespace cosmograd::sim
