#include "sim/pm/stepping.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "sim/core/non_finite.hpp"
#include "sim/core/timer.hpp"

namespace cosmograd::sim {
namespace {

/// Keys of the states recomputed inside a checkpoint segment (checkpoints use the step).
constexpr int kSegment = 1 << 29;

/// An empty particle set, for observers that do not read the particles.
template <class T>
const Particles<T>& no_particles() {
  static const Particles<T> none;
  return none;
}

/// Runs fn(); a NonFiniteError from it is rethrown with "<what>step i + 1 of N (a = a0 to a1)"
/// in front, the step as the progress line counts it.
template <class Fn>
void with_step_named(const StepSchedule& s, int i, const char* what, Fn&& fn) {
  try {
    fn();
  } catch (const NonFiniteError& e) {
    std::ostringstream os;
    os << what << "step " << i + 1 << " of " << s.steps() << " (a = " << s.a(i) << " to "
       << s.a(std::min(i + 1, s.steps())) << "): " << e.what();
    throw NonFiniteError(os.str());
  }
}

}  // namespace

GradientMode parse_gradient_mode(const std::string& name) {
  if (name == "adjoint") return GradientMode::adjoint;
  if (name == "checkpoint") return GradientMode::checkpoint;
  throw std::invalid_argument("gradient_mode = '" + name +
                              "' is not a gradient mode (allowed: adjoint, checkpoint)");
}

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
KdkStepper<T>::KdkStepper(PmBackend<T>& backend, GradientMode mode, int checkpoint_every)
    : backend_(backend), mode_(mode), every_(checkpoint_every) {
  if (checkpoint_every < 1) {
    throw std::invalid_argument("checkpoint_every = " + std::to_string(checkpoint_every) +
                                " is out of range (allowed: >= 1)");
  }
}

// ---- kick and its vjp ---------------------------------------------------------------------

template <class T>
void KdkStepper<T>::kick(double f) {
  Stopwatch w;
  backend_.axpy(Buf::mom, f, Buf::acc);
  timings_.kick_drift += w.seconds();
}

template <class T>
void KdkStepper<T>::kicks_vjp(const StepSchedule& s, int j, const Observers<T>& observers) {
  const int n = s.steps();
  const CosmoDual k1 = j < n ? s[j].kick1 : CosmoDual(0.0);      // first kick of step j
  const CosmoDual k2 = j > 0 ? s[j - 1].kick2 : CosmoDual(0.0);  // second kick of step j - 1
  // mom holds p(a_j) in checkpoint mode (stored state) and at the end; otherwise p at the
  // half step of step j until the first kick is undone.
  bool at_start = mode_ == GradientMode::checkpoint || j == n;
  bool state_needed = !at_start;
  const bool extra = add_state_cotangents(j, k1.v, observers, state_needed);
  if (extra && state_needed) at_start = true;  // add_state_cotangents undid the kick
  Stopwatch w;
  // The force cotangent: K1's on the momentum cotangent after grid point j, K2's on the one
  // before (which includes the observers' dJ/dp(a_j)).
  if (extra) {
    backend_.axpby(Buf::cot, k1.v, Buf::extra, k2.v, Buf::pi);
  } else {
    backend_.axpby(Buf::cot, k1.v, Buf::pi, k2.v, Buf::pi);
  }
  timings_.kick_drift += w.restart();
  backend_.accelerations_vjp();  // xi += J^T cot, acc = F(x_j)
  timings_.force += w.restart();
  // Parameters through the kick factors: d/dtheta of k (pi . F).
  if (extra) {
    backend_.add_dot(Buf::extra, Buf::acc, k1.d);
    backend_.add_dot(Buf::pi, Buf::acc, k2.d);
  } else {
    backend_.add_dot(Buf::pi, Buf::acc, (k1 + k2).d);
  }
  timings_.kick_drift += w.seconds();
  if (!at_start) kick(-k1.v);  // p: half step -> a_j
}

// ---- drift and its vjp --------------------------------------------------------------------

template <class T>
void KdkStepper<T>::drift(double f) {
  Stopwatch w;
  backend_.axpy(Buf::disp, f, Buf::mom);
  timings_.kick_drift += w.seconds();
}

template <class T>
void KdkStepper<T>::drift_vjp(const CosmoDual& f) {
  Stopwatch w;
  backend_.add_dot(Buf::xi, Buf::mom, f.d);  // x1 = x0 + D p: dJ/dD = xi . p
  backend_.axpy(Buf::pi, f.v, Buf::xi);      // dJ/dp += D dJ/dx1
  timings_.kick_drift += w.seconds();
}

// ---- one step and its adjoint -------------------------------------------------------------

template <class T>
void KdkStepper<T>::step(const StepSchedule& s, int i, const Observers<T>& observers) {
  with_step_named(s, i, "", [&] { step_unchecked(s, i, observers); });
}

template <class T>
void KdkStepper<T>::step_unchecked(const StepSchedule& s, int i, const Observers<T>& observers) {
  const StepFactors& f = s[i];
  kick(f.kick1.v);
  drift(f.drift.v);
  const bool drifts = std::any_of(observers.begin(), observers.end(),
                                  [](const StepObserver<T>* o) { return o->wants_drifts(); });
  if (drifts) {
    Stopwatch w;
    const DriftInfo info{i, f.a0, f.a1, f.ah, f.drift.v};
    const Particles<T>& p = backend_.host_state();
    for (StepObserver<T>* o : observers) {
      if (o->wants_drifts()) o->on_drift(info, p);
    }
    timings_.observers += w.seconds();
  }
  Stopwatch w;
  backend_.migrate(false);
  timings_.migrate += w.restart();
  backend_.accelerations();
  timings_.force += w.seconds();
  kick(f.kick2.v);
}

template <class T>
void KdkStepper<T>::step_adjoint(const StepSchedule& s, int i, const Observers<T>& observers) {
  with_step_named(s, i, "the adjoint of ", [&] { step_adjoint_unchecked(s, i, observers); });
}

template <class T>
void KdkStepper<T>::step_adjoint_unchecked(const StepSchedule& s, int i,
                                           const Observers<T>& observers) {
  const StepFactors& f = s[i];
  kick(-f.kick2.v);  // p: a1 -> half step
  const bool drift_cot = std::any_of(observers.begin(), observers.end(), [](auto* o) {
    return o->wants_drifts() && o->has_drift_cotangent();
  });
  if (drift_cot) {
    Stopwatch w;
    const DriftInfo info{i, f.a0, f.a1, f.ah, f.drift.v};
    const Particles<T>& p = backend_.host_state();
    const std::size_t m = 3 * backend_.particle_count();
    StateCotangent<T> c{std::vector<T>(m, T(0)), std::vector<T>(m, T(0))};
    for (StepObserver<T>* o : observers) {
      if (o->wants_drifts() && o->has_drift_cotangent()) o->drift_cotangent(info, p, c);
    }
    backend_.add_cotangent(c);
    timings_.observers += w.seconds();
  }
  drift_vjp(f.drift);
  drift(-f.drift.v);  // x: a1 -> a0
  Stopwatch w;
  backend_.migrate(true);  // the cotangents travel along
  timings_.migrate += w.seconds();
  if (mode_ == GradientMode::checkpoint) load_stored(s, i);
  kicks_vjp(s, i, observers);
}

// ---- whole runs ---------------------------------------------------------------------------

template <class T>
void KdkStepper<T>::emit_state(const StepSchedule& s, int step, double step_seconds,
                               const Observers<T>& observers) {
  bool any = false, reads = false;
  for (const StepObserver<T>* o : observers) {
    if (!o->wants_state(step)) continue;
    any = true;
    reads = reads || o->reads_particles();
  }
  if (!any) return;
  Stopwatch w;
  const Particles<T>& p = reads ? backend_.host_state() : no_particles<T>();
  const StepInfo info{step, s.steps(), s.a(step), step_seconds, run_.seconds()};
  for (StepObserver<T>* o : observers) {
    if (o->wants_state(step)) o->on_state(info, o->reads_particles() ? p : no_particles<T>());
  }
  timings_.observers += w.seconds();
}

template <class T>
bool KdkStepper<T>::add_state_cotangents(int j, double kick1, const Observers<T>& observers,
                                         bool& state_needed) {
  bool any = false, reads = false;
  for (const StepObserver<T>* o : observers) {
    if (!o->wants_state(j) || !o->has_state_cotangent(j)) continue;
    any = true;
    reads = reads || o->reads_particles();
  }
  if (!any) return false;
  Stopwatch w;
  if (reads && state_needed) {
    // The observers read the state at a_j, but mom still holds the half-step momentum:
    // undo the first kick with a forward force (the vjp below recomputes it bitwise).
    backend_.accelerations();
    backend_.axpy(Buf::mom, -kick1, Buf::acc);
  }
  state_needed = reads && state_needed;
  backend_.axpby(Buf::extra, 1.0, Buf::pi, 0.0, Buf::pi);  // pi before the observers' terms
  const Particles<T>& p = reads ? backend_.host_state() : no_particles<T>();
  const std::size_t m = 3 * backend_.particle_count();
  StateCotangent<T> c{std::vector<T>(m, T(0)), std::vector<T>(m, T(0))};
  for (StepObserver<T>* o : observers) {
    if (o->wants_state(j) && o->has_state_cotangent(j)) {
      o->state_cotangent(j, o->reads_particles() ? p : no_particles<T>(), c);
    }
  }
  backend_.add_cotangent(c);
  timings_.observers += w.seconds();
  return true;
}

template <class T>
void KdkStepper<T>::load_stored(const StepSchedule& s, int i) {
  if (!backend_.has_state(i) && !backend_.has_state(kSegment + i)) {
    // Recompute the segment from its checkpoint, storing every state in it.
    const int start = (i / every_) * every_;
    const int stop = std::min(start + every_, s.steps());
    backend_.drop_states(kSegment);
    backend_.load_state(start);
    Stopwatch w;
    backend_.accelerations();
    timings_.force += w.seconds();
    for (int j = start; j < stop; ++j) {
      step(s, j);
      backend_.store_state(kSegment + j + 1);
    }
  }
  backend_.load_state(backend_.has_state(i) ? i : kSegment + i);
}

template <class T>
void KdkStepper<T>::forward(const StepSchedule& s, const Observers<T>& observers, int first_step) {
  if (first_step < 0 || first_step > s.steps()) {
    throw std::invalid_argument("KdkStepper::forward: first_step = " + std::to_string(first_step) +
                                " is not a grid point (allowed: 0 to " + std::to_string(s.steps()) +
                                ")");
  }
  if (first_step > 0 && mode_ == GradientMode::checkpoint) {
    throw std::invalid_argument(
        "KdkStepper::forward: first_step > 0 needs GradientMode::adjoint (checkpoints before it "
        "are missing)");
  }
  run_.restart();
  if (first_step == 0) emit_state(s, 0, 0.0, observers);
  if (mode_ == GradientMode::checkpoint) backend_.store_state(0);
  if (first_step == s.steps()) return;
  Stopwatch w;
  backend_.migrate(false);  // particles to the slab of their position
  timings_.migrate += w.restart();
  with_step_named(s, first_step, "the force before ", [&] { backend_.accelerations(); });
  timings_.force += w.seconds();
  for (int i = first_step; i < s.steps(); ++i) {
    Stopwatch st;
    step(s, i, observers);
    if (mode_ == GradientMode::checkpoint && (i + 1) % every_ == 0) backend_.store_state(i + 1);
    emit_state(s, i + 1, st.seconds(), observers);
  }
}

template <class T>
void KdkStepper<T>::backward(const StepSchedule& s, const Observers<T>& observers) {
  const int n = s.steps();
  if (mode_ == GradientMode::checkpoint) backend_.drop_states(kSegment);
  if (n > 0) {
    if (mode_ == GradientMode::checkpoint) load_stored(s, n);
    with_step_named(s, n - 1, "the adjoint of ", [&] { kicks_vjp(s, n, observers); });  // 2nd kick
    for (int i = n - 1; i >= 0; --i) step_adjoint(s, i, observers);
  } else {
    bool state_needed = false;
    add_state_cotangents(0, 0.0, observers, state_needed);
  }
}

#define COSMOGRAD_INSTANTIATE(T)                                       \
  template void kick<T>(Particles<T>&, const std::vector<T>&, double); \
  template void drift<T>(Particles<T>&, double);                       \
  template class KdkStepper<T>;
COSMOGRAD_INSTANTIATE(float)
COSMOGRAD_INSTANTIATE(double)
#undef COSMOGRAD_INSTANTIATE

}  // namespace cosmograd::sim
