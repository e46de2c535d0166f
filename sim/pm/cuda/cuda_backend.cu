// CudaBackend<T>: the PM operators on one CUDA device (sim/pm/cuda/cuda_backend.hpp). The host
// computes only scalars (power tables, the factors the stepper passes); every field and
// particle array stays on the device.
#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string>

#include "sim/core/backend.hpp"
#include "sim/cosmo/cosmology.hpp"
#include "sim/cosmo/linear_power.hpp"
#include "sim/mesh/white_noise.hpp"
#include "sim/pm/cuda/cuda_backend.hpp"
#include "sim/pm/cuda/device_memory.hpp"
#include "sim/pm/cuda/kernels.hpp"
#include "sim/pm/cuda/pm_math.hpp"
#include "sim/pm/lpt.hpp"

namespace cosmograd::sim::cuda {

double KernelTimings::total() const {
  double t = 0;
  for (const auto& p : phases) t += p.second;
  return t;
}

double KernelTimings::at(const std::string& phase) const {
  for (const auto& p : phases) {
    if (p.first == phase) return p.second;
  }
  return 0.0;
}

namespace {

/// sqrt(P(|m|^2) / V) per integer |m|^2 of the grid (linear_modes_from_noise's amplitudes).
template <class S>
std::vector<double> amplitude_table(const ModePowerT<S>& power, double box) {
  const double volume = box * box * box;
  std::vector<double> amp(static_cast<std::size_t>(power.max_m2()) + 1, 0.0);
  for (long m2 = 1; m2 <= power.max_m2(); ++m2) {
    amp[static_cast<std::size_t>(m2)] = std::sqrt(value(power.at_m2(m2)) / volume);
  }
  return amp;
}

/// A device copy of a host vector.
template <class V>
DeviceBuffer<V> to_device(const std::vector<V>& host, const char* what) {
  DeviceBuffer<V> d(host.size(), what);
  d.upload(host.data());
  return d;
}

}  // namespace

template <class T>
struct CudaBackend<T>::Impl {
  SimSpec config;
  const CosmologyTables* cosmo;  // the parameters' tables (not owned)
  double a_init;
  std::unique_ptr<ModePowerDual> power_dual;  // for the parameter gradients
  ParticleMesh pm;
  int order;              // window order (2 CIC, 3 TSC, 4 PCS)
  std::size_t np3;        // 3 values per particle
  std::size_t grid_size;  // padded size of a particle-grid mesh
  std::size_t mesh_size;  // padded size of a force mesh
  T mass;                 // particle mass in units of the mean mass per cell
  DeviceFft<T> fft_grid;
  DeviceFft<T> fft_mesh;
  DeviceBuffer<double> amp, amp_dual;             // per-|m|^2 amplitudes (forward, vjp)
  DeviceBuffer<double> tab_m2, tab_grad, tab_w2;  // per-axis force tables
  ForceTables tables;
  DeviceBuffer<T> noise;  // w of the last forward(), particle grid
  DeviceBuffer<T> disp, mom, acc;
  DeviceBuffer<T> mesh[3];
  DeviceBuffer<T> xi, pi, cot, extra;  // backward: dJ/d disp, dJ/d mom, force cotangent, scratch
  DeviceBuffer<T> upload_tmp;          // host cotangents on their way in
  std::map<int, std::pair<DeviceBuffer<T>, DeviceBuffer<T>>> stored;  // key -> (disp, mom)
  Particles<T> host;                                                  // host copy of the state
  ParamGradient grad_host{};     // gradient terms computed on the host
  DeviceBuffer<T> noise_grad;    // dJ/dw of the last backward
  DeviceBuffer<double> scalars;  // device accumulators of the scalar gradient terms
  std::vector<std::pair<int, std::array<double, kNumCosmoParams>>> terms;  // slot, weight
  int used_slots = 0;
  PhaseTimer timer;

  Impl(const SimSpec& c, const CosmologyTables& t)
      : config(c),
        cosmo(&t),
        a_init(c.time_grid().front()),
        pm{c.particles, c.mesh, c.box_size},
        order(paint_order(c.painter)),
        np3(3 * pm.count()),
        grid_size(padded_size(c.particles)),
        mesh_size(padded_size(c.mesh)),
        mass(static_cast<T>(std::pow(static_cast<double>(c.mesh), 3) /
                            static_cast<double>(pm.count()))),
        fft_grid(c.particles),
        fft_mesh(c.mesh) {
    set_tables(t);
    // Per-axis force tables, as Gravity's ForceKernel builds them (sim/pm/gravity.cpp).
    const int n = c.mesh;
    std::vector<double> m2(static_cast<std::size_t>(n)), g(m2.size()), w2(m2.size());
    for (int i = 0; i < n; ++i) {
      const int m = signed_mode(i, n);
      m2[static_cast<std::size_t>(i)] = static_cast<double>(m) * m;
      g[static_cast<std::size_t>(i)] =
          gradient_k(c.gradient == GradientKernel::fd4, m, n, c.box_size);
      const double w = window_1d(order, m, n);
      w2[static_cast<std::size_t>(i)] = c.force_deconvolve ? 1.0 / (w * w) : 1.0;
    }
    tab_m2 = to_device(m2, "the force tables");
    tab_grad = to_device(g, "the force tables");
    tab_w2 = to_device(w2, "the force tables");
    tables.m2 = tab_m2.data();
    tables.grad = tab_grad.data();
    tables.inv_w2 = tab_w2.data();
    host = Particles<T>::lattice_grid(pm.n_side, pm.box);
    noise = DeviceBuffer<T>(grid_size, "the white noise");
    disp = DeviceBuffer<T>(np3, "the displacements");
    mom = DeviceBuffer<T>(np3, "the momenta");
    acc = DeviceBuffer<T>(np3, "the accelerations");
    for (auto& m : mesh) m = DeviceBuffer<T>(mesh_size, "a force mesh");
  }

  /// Mode amplitudes (values and duals) and the force's Omega_m of new tables.
  void set_tables(const CosmologyTables& t) {
    cosmo = &t;
    const ModePower power(*t.linear, config.particles, config.box_size);
    amp = to_device(amplitude_table(power, config.box_size), "the mode amplitudes");
    power_dual = std::make_unique<ModePowerDual>(*t.linear_dual, config.particles, config.box_size);
    amp_dual =
        to_device(amplitude_table(*power_dual, config.box_size), "the mode amplitudes (vjp)");
    const double kf = 2.0 * M_PI / config.box_size;
    tables.poisson = 1.5 * t.cosmology.params().Omega_m /
                     (std::pow(static_cast<double>(config.mesh), 3) * kf * kf);
  }

  /// The device vector behind a buffer name (the adjoint's allocated on first use).
  DeviceBuffer<T>& vec(Buf b) {
    auto ensure = [this](DeviceBuffer<T>& d, const char* what) -> DeviceBuffer<T>& {
      if (d.size() != np3) d = DeviceBuffer<T>(np3, what);
      return d;
    };
    switch (b) {
      case Buf::disp:
        return disp;
      case Buf::mom:
        return mom;
      case Buf::acc:
        return acc;
      case Buf::xi:
        return ensure(xi, "dJ/d disp");
      case Buf::pi:
        return ensure(pi, "dJ/d mom");
      case Buf::cot:
        return ensure(cot, "the force cotangent");
      case Buf::extra:
        return ensure(extra, "an adjoint scratch vector");
    }
    throw std::logic_error("CudaBackend: unknown buffer");
  }

  // ---- scalar accumulators: dot products land in device slots, weighted on the host -------

  /// A zeroed device slot whose final value enters theta with `weight`.
  double* slot(const std::array<double, kNumCosmoParams>& weight) {
    if (scalars.size() == 0) scalars = DeviceBuffer<double>(256, "the scalar slots");
    if (used_slots >= static_cast<int>(scalars.size())) flush_slots();
    terms.emplace_back(used_slots, weight);
    return scalars.data() + used_slots++;
  }
  /// Moves the slots' weighted values into grad_host (one download) and clears them.
  void flush_slots() {
    if (used_slots == 0) return;
    const std::vector<double> values = scalars.to_host();
    for (const auto& [s, w] : terms) {
      for (int i = 0; i < kNumCosmoParams; ++i) grad_host[i] += w[i] * values[s];
    }
    scalars.zero();
    terms.clear();
    used_slots = 0;
  }
  static std::array<double, kNumCosmoParams> dual_weight(const CosmoDual& f) {
    std::array<double, kNumCosmoParams> w{};
    for (int i = 0; i < kNumCosmoParams; ++i) w[i] = f.d[i];
    return w;
  }

  // ---- LPT (sim/pm/lpt.cpp) ------------------------------------------------------------------

  /// modes = linear_modes_from_real_noise(noise) with amplitudes `amplitude`.
  void linear_modes_from_noise(DeviceBuffer<T>& modes, const DeviceBuffer<double>& amplitude) {
    copy_on_device(modes.data(), noise.data(), noise.bytes());
    fft_grid.forward(modes.data());
    scale(modes.data(), grid_size, static_cast<T>(white_noise_scale(pm.n_side)));
    linear_modes(modes.data(), pm.n_side, amplitude.data());
  }
  /// out = real-space filter of `in` (filter_to_real).
  void filter_to_real(const DeviceBuffer<T>& in, DeviceBuffer<T>& out, LptFilter f, int i, int j,
                      double sign) {
    lpt_filter(in.data(), out.data(), pm.n_side, config.box_size, f, i, j, sign, false);
    fft_grid.backward(out.data());
  }
  /// acc_k += conj(K) c_k FFT(g)_k; g destroyed (filter_to_real_vjp).
  void filter_to_real_vjp(DeviceBuffer<T>& g, DeviceBuffer<T>& acc_k, LptFilter f, int i, int j,
                          double sign) {
    fft_grid.forward(g.data());
    lpt_filter(g.data(), acc_k.data(), pm.n_side, config.box_size, f, i, j, sign, true);
  }
  /// delta2 (Fourier, this file's normalisation) of the 2LPT source (Scoccimarro 1998 B5).
  void second_order_source(const DeviceBuffer<T>& delta_k, DeviceBuffer<T>& delta2,
                           DeviceBuffer<T>& work) {
    DeviceBuffer<T> a_xx(grid_size, "a 2LPT mesh"), b_yy(grid_size, "a 2LPT mesh");
    filter_to_real(delta_k, a_xx, LptFilter::hessian, 0, 0, 0.0);
    filter_to_real(delta_k, b_yy, LptFilter::hessian, 1, 1, 0.0);
    filter_to_real(delta_k, work, LptFilter::hessian, 2, 2, 0.0);
    second_order_diagonal(delta2.data(), a_xx.data(), b_yy.data(), work.data(), grid_size);
    const int off[3][2] = {{0, 1}, {0, 2}, {1, 2}};
    for (const auto& ij : off) {
      filter_to_real(delta_k, work, LptFilter::hessian, ij[0], ij[1], 0.0);
      subtract_square(delta2.data(), work.data(), grid_size);
    }
    const double n = pm.n_side;
    fft_grid.forward(delta2.data());
    scale(delta2.data(), grid_size, static_cast<T>(1.0 / (n * n * n)));
    zero_nyquist_and_mean(delta2.data(), pm.n_side);  // as sim/pm/lpt.cpp
  }

  void lpt_forward() {
    timer.begin("lpt");
    DeviceBuffer<T> modes(grid_size, "the linear modes"), work(grid_size, "an LPT mesh");
    linear_modes_from_noise(modes, amp);
    disp.zero();
    mom.zero();
    const std::array<double, 4> f = lpt_factors(cosmo->cosmology, a_init);
    for (int dim = 0; dim < 3; ++dim) {
      filter_to_real(modes, work, LptFilter::displacement, dim, 0, -1.0);  // div Psi1 = -delta
      add_to_particles(work.data(), pm.n_side, dim, f[0], f[1], disp.data(), mom.data());
    }
    if (config.lpt_order == 2) {
      DeviceBuffer<T> delta2(grid_size, "the 2LPT source");
      second_order_source(modes, delta2, work);
      for (int dim = 0; dim < 3; ++dim) {
        filter_to_real(delta2, work, LptFilter::displacement, dim, 0, +1.0);
        add_to_particles(work.data(), pm.n_side, dim, f[2], f[3], disp.data(), mom.data());
      }
    }
    timer.end();
  }

  /// lpt_vjp(): dJ/dw into noise_grad, dJ/dtheta terms into slots and grad_host.
  void lpt_vjp() {
    std::array<double, kNumCosmoParams>& theta = grad_host;
    timer.begin("lpt vjp");
    const std::array<CosmoDual, 4> f = lpt_factors(cosmo->dual, a_init);
    DeviceBuffer<T> delta(grid_size, "the linear modes"), work(grid_size, "an LPT mesh");
    DeviceBuffer<T> delta_cot(grid_size, "the mode cotangent");
    linear_modes_from_noise(delta, amp_dual);
    delta_cot.zero();
    for (int dim = 0; dim < 3; ++dim) {
      filter_to_real(delta, work, LptFilter::displacement, dim, 0, -1.0);
      double* s0 = slot(dual_weight(f[0]));
      slot(dual_weight(f[1]));
      add_to_particles_vjp(work.data(), pm.n_side, dim, f[0].v, f[1].v, xi.data(), pi.data(), s0);
      filter_to_real_vjp(work, delta_cot, LptFilter::displacement, dim, 0, -1.0);
    }
    if (config.lpt_order == 2) {
      DeviceBuffer<T> source_cot(grid_size, "the 2LPT source cotangent");
      source_cot.zero();
      {
        DeviceBuffer<T> delta2(grid_size, "the 2LPT source");
        second_order_source(delta, delta2, work);
        for (int dim = 0; dim < 3; ++dim) {
          filter_to_real(delta2, work, LptFilter::displacement, dim, 0, +1.0);
          double* s0 = slot(dual_weight(f[2]));
          slot(dual_weight(f[3]));
          add_to_particles_vjp(work.data(), pm.n_side, dim, f[2].v, f[3].v, xi.data(), pi.data(),
                               s0);
          filter_to_real_vjp(work, source_cot, LptFilter::displacement, dim, 0, +1.0);
        }
      }
      zero_nyquist_and_mean(source_cot.data(), pm.n_side);  // the projection's transpose
      const double n = pm.n_side;
      scale_by_inverse_multiplicity(source_cot.data(), pm.n_side, 1.0 / (n * n * n));
      fft_grid.backward(source_cot.data());
      // second_order_source_vjp (product rule on sum_{i<j} phi_ii phi_jj - phi_ij^2).
      DeviceBuffer<T> delta_x(grid_size, "the linear density");
      copy_on_device(delta_x.data(), delta.data(), delta.bytes());
      fft_grid.backward(delta_x.data());
      for (int i = 0; i < 3; ++i) {
        filter_to_real(delta, work, LptFilter::hessian, i, i, 0.0);
        second_order_vjp_weight(work.data(), source_cot.data(), delta_x.data(), false, grid_size);
        filter_to_real_vjp(work, delta_cot, LptFilter::hessian, i, i, 0.0);
      }
      const int off[3][2] = {{0, 1}, {0, 2}, {1, 2}};
      for (const auto& ij : off) {
        filter_to_real(delta, work, LptFilter::hessian, ij[0], ij[1], 0.0);
        second_order_vjp_weight(work.data(), source_cot.data(), static_cast<const T*>(nullptr),
                                true, grid_size);
        filter_to_real_vjp(work, delta_cot, LptFilter::hessian, ij[0], ij[1], 0.0);
      }
    }
    // Parameters through the mode amplitudes: dJ/dP(k) = Re(conj(delta_k) dJ/d delta_k) / (2P).
    DeviceBuffer<double> power_cot(static_cast<std::size_t>(power_dual->max_m2()) + 1,
                                   "the power cotangent");
    power_cot.zero();
    mode_power_cotangent(delta.data(), delta_cot.data(), pm.n_side, power_cot.data());
    const std::vector<double> pc = power_cot.to_host();
    for (std::size_t m2 = 1; m2 < pc.size(); ++m2) {
      const CosmoDual& p = power_dual->at_m2(static_cast<long>(m2));
      if (pc[m2] == 0.0 || p.v <= 0.0) continue;
      const double s = pc[m2] / (2.0 * p.v);
      for (int i = 0; i < kNumCosmoParams; ++i) theta[i] += s * p.d[i];
    }
    // dJ/dw = linear_modes_from_real_noise_vjp(dJ/d delta_k).
    linear_modes(delta_cot.data(), pm.n_side, amp_dual.data());
    scale_by_inverse_multiplicity(delta_cot.data(), pm.n_side, white_noise_scale(pm.n_side));
    fft_grid.backward(delta_cot.data());
    noise_grad = std::move(delta_cot);
    timer.end();
  }

  // ---- gravity (sim/pm/gravity.cpp) ----------------------------------------------------------

  /// The real-space force meshes x, y, z of the current positions in mesh[0..2].
  void force_meshes() {
    const T* d = disp.data();
    timer.begin("paint");
    mesh[2].zero();
    paint(mesh[2].data(), pm, d, order, mass, kMeshShift);
    timer.end();
    timer.begin("r2c");
    fft_mesh.forward(mesh[2].data());
    timer.end();
    timer.begin("force kernels");
    force_modes(mesh[2].data(), mesh[0].data(), mesh[1].data(), pm.n_mesh, tables);
    timer.end();
    timer.begin("c2r");
    for (auto& m : mesh) fft_mesh.backward(m.data());
    timer.end();
  }

  /// acc = accelerations(disp).
  void accelerations() {
    force_meshes();
    timer.begin("readout");
    const T* m[3] = {mesh[0].data(), mesh[1].data(), mesh[2].data()};
    readout3(m, pm, disp.data(), order, acc.data(), kMeshShift);
    timer.end();
  }

  /// accelerations_vjp(): grad += d(cot . acc)/d disp, acc = the accelerations; adds
  /// J / Omega_m to theta[Omega_m] through a slot.
  void accelerations_vjp(const T* cot_acc, T* grad) {
    force_meshes();
    timer.begin("vjp readout");
    std::array<double, kNumCosmoParams> w{};
    w[static_cast<int>(CosmoParam::Omega_m)] = 1.0 / cosmo->cosmology.params().Omega_m;
    double* j_slot = slot(w);
    const T* cm[3] = {mesh[0].data(), mesh[1].data(), mesh[2].data()};
    readout3_vjp_positions(cm, pm, disp.data(), order, cot_acc, grad, kMeshShift, acc.data(),
                           j_slot);
    timer.end();
    timer.begin("vjp paint");
    for (auto& m : mesh) m.zero();
    T* m[3] = {mesh[0].data(), mesh[1].data(), mesh[2].data()};
    paint3_weighted(m, pm, disp.data(), order, cot_acc, kMeshShift);
    timer.end();
    timer.begin("vjp r2c");
    for (auto& mm : mesh) fft_mesh.forward(mm.data());
    timer.end();
    timer.begin("vjp kernels");
    force_vjp_modes(mesh[0].data(), mesh[1].data(), mesh[2].data(), pm.n_mesh, tables);
    timer.end();
    timer.begin("vjp c2r");
    fft_mesh.backward(mesh[2].data());
    timer.end();
    timer.begin("vjp gather");
    paint_vjp(mesh[2].data(), pm, disp.data(), order, mass, grad, kMeshShift);
    timer.end();
  }

  /// A host field of the particle grid holding the device mesh `d`.
  Field<T> to_field(const DeviceBuffer<T>& d) const {
    Field<T> f{Decomposition(pm.n_side)};
    d.download(f.real());
    return f;
  }
  /// Fills `noise` with the seed's real-space white noise.
  void seed_noise(DeviceBuffer<T>& w) {
    fill_white_noise(w.data(), config.particles,
                     NoiseOptions{config.seed, config.fixed_amplitude, config.paired});
    fft_grid.backward(w.data());
    scale(w.data(), grid_size, static_cast<T>(white_noise_scale(config.particles)));
  }
  /// Throws std::invalid_argument unless the host vector holds 3 values per particle.
  void check_size(const std::vector<T>& v, const char* what) const {
    if (v.size() != np3) {
      throw std::invalid_argument(std::string(what) + " must hold 3 values per particle (" +
                                  std::to_string(np3) + "), got " + std::to_string(v.size()));
    }
  }
};

template <class T>
CudaBackend<T>::CudaBackend(const SimSpec& c, const CosmologyTables& tables) {
  require_device(Device::cuda);
  impl_ = std::make_unique<Impl>(c, tables);
}

template <class T>
CudaBackend<T>::~CudaBackend() = default;

template <class T>
void CudaBackend<T>::axpy(Buf out, double f, Buf in) {
  Impl& m = *impl_;
  m.timer.begin("kick/drift");
  kick(m.vec(out).data(), m.vec(in).data(), f, m.np3);  // out += f in
  m.timer.end();
}

template <class T>
void CudaBackend<T>::axpby(Buf out, double ca, Buf a, double cb, Buf b) {
  Impl& m = *impl_;
  m.timer.begin("kick/drift");
  T* o = m.vec(out).data();
  cuda::axpby(ca, m.vec(a).data(), cb, m.vec(b).data(), o, m.np3);
  m.timer.end();
}

template <class T>
void CudaBackend<T>::zero(Buf out) {
  impl_->vec(out).zero();
}

template <class T>
void CudaBackend<T>::add_dot(Buf a, Buf b, const ParamGradient& weight) {
  Impl& m = *impl_;
  m.timer.begin("kick/drift");
  double* s = m.slot(weight);
  dot(m.vec(a).data(), m.vec(b).data(), m.np3, s);
  m.timer.end();
}

template <class T>
ParamGradient CudaBackend<T>::take_gradient() {
  Impl& m = *impl_;
  m.flush_slots();
  const ParamGradient g = m.grad_host;
  m.grad_host = ParamGradient{};
  return g;
}

template <class T>
void CudaBackend<T>::accelerations() {
  impl_->accelerations();
}

template <class T>
void CudaBackend<T>::accelerations_vjp() {
  Impl& m = *impl_;
  m.accelerations_vjp(m.vec(Buf::cot).data(), m.vec(Buf::xi).data());
}

template <class T>
std::size_t CudaBackend<T>::particle_count() const {
  return impl_->pm.count();
}

template <class T>
const Particles<T>& CudaBackend<T>::host_state() {
  Impl& m = *impl_;
  m.disp.download(m.host.disp.data());
  m.mom.download(m.host.mom.data());
  return m.host;
}

template <class T>
void CudaBackend<T>::set_state(const Particles<T>& p) {
  Impl& m = *impl_;
  m.check_size(p.disp, "set_state: displacements");
  m.check_size(p.mom, "set_state: momenta");
  m.disp.upload(p.disp.data());
  m.mom.upload(p.mom.data());
}

template <class T>
void CudaBackend<T>::add_cotangent(const StateCotangent<T>& c) {
  Impl& m = *impl_;
  m.check_size(c.disp, "add_cotangent: dJ/d disp");
  m.check_size(c.mom, "add_cotangent: dJ/d mom");
  if (m.upload_tmp.size() != m.np3) m.upload_tmp = DeviceBuffer<T>(m.np3, "a cotangent upload");
  m.upload_tmp.upload(c.disp.data());
  kick(m.vec(Buf::xi).data(), m.upload_tmp.data(), 1.0, m.np3);
  m.upload_tmp.upload(c.mom.data());
  kick(m.vec(Buf::pi).data(), m.upload_tmp.data(), 1.0, m.np3);
}

template <class T>
void CudaBackend<T>::set_cotangent(const StateCotangent<T>& c) {
  Impl& m = *impl_;
  m.check_size(c.disp, "backward: dJ/d disp");
  m.check_size(c.mom, "backward: dJ/d mom");
  m.vec(Buf::xi).upload(c.disp.data());
  m.vec(Buf::pi).upload(c.mom.data());
  m.flush_slots();
  m.grad_host = ParamGradient{};
}

template <class T>
void CudaBackend<T>::store_state(int key) {
  Impl& m = *impl_;
  auto& slot = m.stored[key];
  if (slot.first.size() != m.np3) {
    slot.first = DeviceBuffer<T>(m.np3, "a stored state");
    slot.second = DeviceBuffer<T>(m.np3, "a stored state");
  }
  copy_on_device(slot.first.data(), m.disp.data(), m.disp.bytes());
  copy_on_device(slot.second.data(), m.mom.data(), m.mom.bytes());
}

template <class T>
void CudaBackend<T>::load_state(int key) {
  Impl& m = *impl_;
  const auto& slot = m.stored.at(key);
  copy_on_device(m.disp.data(), slot.first.data(), m.disp.bytes());
  copy_on_device(m.mom.data(), slot.second.data(), m.mom.bytes());
}

template <class T>
bool CudaBackend<T>::has_state(int key) const {
  return impl_->stored.count(key) != 0;
}

template <class T>
void CudaBackend<T>::drop_states(int first) {
  auto& s = impl_->stored;
  s.erase(s.lower_bound(first), s.end());
}

template <class T>
Field<T> CudaBackend<T>::white_noise() {
  Impl& m = *impl_;
  DeviceBuffer<T> w(m.grid_size, "the white noise");
  m.seed_noise(w);
  return m.to_field(w);
}

template <class T>
void CudaBackend<T>::initial_conditions(const Field<T>& w) {
  Impl& m = *impl_;
  if (w.n() != m.pm.n_side) {
    throw std::invalid_argument(
        "initial_conditions: the noise mesh has n = " + std::to_string(w.n()) +
        ", expected the particle grid n = " + std::to_string(m.pm.n_side));
  }
  m.noise.upload(w.real());
  m.lpt_forward();
}

template <class T>
void CudaBackend<T>::initial_conditions_from_seed() {
  Impl& m = *impl_;
  m.seed_noise(m.noise);
  m.lpt_forward();
}

template <class T>
void CudaBackend<T>::initial_conditions_vjp_on_device() {
  Impl& m = *impl_;
  m.vec(Buf::xi);
  m.vec(Buf::pi);
  m.lpt_vjp();
}

template <class T>
Field<T> CudaBackend<T>::initial_conditions_vjp() {
  initial_conditions_vjp_on_device();
  return noise_gradient();
}

template <class T>
Field<T> CudaBackend<T>::noise_gradient() const {
  if (impl_->noise_grad.size() == 0) {
    throw std::logic_error("CudaBackend::noise_gradient: run initial_conditions_vjp() first");
  }
  return impl_->to_field(impl_->noise_grad);
}

template <class T>
void CudaBackend<T>::set_cosmology(const CosmologyTables& tables) {
  impl_->set_tables(tables);
}

template <class T>
void CudaBackend<T>::enable_timings(bool on) {
  impl_->timer.enable(on);
}

template <class T>
KernelTimings CudaBackend<T>::timings() const {
  impl_->timer.collect();
  return KernelTimings{impl_->timer.totals()};
}

template <class T>
void CudaBackend<T>::reset_timings() {
  impl_->timer.reset();
}

template <class T>
std::size_t CudaBackend<T>::device_bytes() const {
  const Impl& m = *impl_;
  std::size_t b = m.amp.bytes() + m.amp_dual.bytes() + m.tab_m2.bytes() + m.tab_grad.bytes() +
                  m.tab_w2.bytes() + m.noise.bytes() + m.disp.bytes() + m.mom.bytes() +
                  m.acc.bytes() + m.xi.bytes() + m.pi.bytes() + m.cot.bytes() + m.extra.bytes() +
                  m.upload_tmp.bytes() + m.noise_grad.bytes() + m.scalars.bytes();
  for (const auto& mesh : m.mesh) b += mesh.bytes();
  for (const auto& kv : m.stored) b += kv.second.first.bytes() + kv.second.second.bytes();
  return b;
}

template class CudaBackend<float>;
template class CudaBackend<double>;

}  // namespace cosmograd::sim::cuda
