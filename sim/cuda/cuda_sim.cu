// CudaSim<T>: DifferentiableSim's forward model and reverse-time adjoint on one CUDA device
// (sim/cuda/cuda_sim.hpp). The host computes only scalars (time-step factors with their dual
// parts, power tables); every field and particle array stays on the device.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "sim/backend.hpp"
#include "sim/cosmology.hpp"
#include "sim/cuda/cuda_sim.hpp"
#include "sim/cuda/device_memory.hpp"
#include "sim/cuda/kernels.hpp"
#include "sim/cuda/pm_math.hpp"
#include "sim/device_sim.hpp"
#include "sim/linear_power.hpp"
#include "sim/lpt.hpp"
#include "sim/stepping.hpp"
#include "sim/white_noise.hpp"

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
struct CudaSim<T>::Impl {
  SimConfig config;
  std::vector<double> grid;
  Cosmology cosmology;
  CosmologyDual cosmology_dual;
  std::unique_ptr<LinearPower> linear;
  std::unique_ptr<LinearPowerT<CosmoDual>> linear_dual;
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
  DeviceBuffer<T> xi, pi, cot;   // backward: dJ/d disp, dJ/d mom, the force cotangent
  DeviceBuffer<T> noise_grad;    // dJ/dw of the last backward
  DeviceBuffer<double> scalars;  // device accumulators of the scalar gradient terms
  std::vector<std::pair<int, std::array<double, kNumCosmoParams>>> terms;  // slot, weight
  int used_slots = 0;
  PhaseTimer timer;

  Impl(const SimConfig& c)
      : config(c),
        grid(c.time_grid()),
        cosmology(c.cosmology),
        cosmology_dual(seed_duals(c.cosmology)),
        linear(make_linear_power<double>(c.transfer.name, cosmology,
                                         LinearPowerOptions{c.transfer.table_path, false, {}})),
        linear_dual(make_linear_power<CosmoDual>(
            c.transfer.name, cosmology_dual, LinearPowerOptions{c.transfer.table_path, false, {}})),
        pm{c.particles, c.mesh, c.box_size},
        order(paint_order(c.painter)),
        np3(3 * pm.count()),
        grid_size(padded_size(c.particles)),
        mesh_size(padded_size(c.mesh)),
        mass(static_cast<T>(std::pow(static_cast<double>(c.mesh), 3) /
                            static_cast<double>(pm.count()))),
        fft_grid(c.particles),
        fft_mesh(c.mesh) {
    const ModePower power(*linear, c.particles, c.box_size);
    amp = to_device(amplitude_table(power, c.box_size), "the mode amplitudes");
    power_dual = std::make_unique<ModePowerDual>(*linear_dual, c.particles, c.box_size);
    amp_dual = to_device(amplitude_table(*power_dual, c.box_size), "the mode amplitudes (vjp)");
    // Per-axis force tables, as Gravity's ForceKernel builds them (sim/gravity.cpp).
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
    const double kf = 2.0 * M_PI / c.box_size;
    tables.m2 = tab_m2.data();
    tables.grad = tab_grad.data();
    tables.inv_w2 = tab_w2.data();
    tables.poisson = 1.5 * c.cosmology.Omega_m / (std::pow(static_cast<double>(n), 3) * kf * kf);
    noise = DeviceBuffer<T>(grid_size, "the white noise");
    disp = DeviceBuffer<T>(np3, "the displacements");
    mom = DeviceBuffer<T>(np3, "the momenta");
    acc = DeviceBuffer<T>(np3, "the accelerations");
    for (auto& m : mesh) m = DeviceBuffer<T>(mesh_size, "a force mesh");
  }

  // ---- scalar accumulators: dot products land in device slots, weighted on the host -------

  /// A zeroed device slot whose final value enters theta with `weight`.
  double* slot(const std::array<double, kNumCosmoParams>& weight) {
    if (used_slots >= static_cast<int>(scalars.size())) {
      throw std::logic_error("CudaSim: out of scalar slots");
    }
    terms.emplace_back(used_slots, weight);
    return scalars.data() + used_slots++;
  }
  static std::array<double, kNumCosmoParams> dual_weight(const CosmoDual& f) {
    std::array<double, kNumCosmoParams> w{};
    for (int i = 0; i < kNumCosmoParams; ++i) w[i] = f.d[i];
    return w;
  }

  // ---- LPT (sim/lpt.cpp) ------------------------------------------------------------------

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
  }

  void lpt_forward() {
    timer.begin("lpt");
    DeviceBuffer<T> modes(grid_size, "the linear modes"), work(grid_size, "an LPT mesh");
    linear_modes_from_noise(modes, amp);
    disp.zero();
    mom.zero();
    const std::array<double, 4> f = lpt_factors(cosmology, grid.front());
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

  /// lpt_vjp(): dJ/dw into noise_grad, dJ/dtheta terms into slots and `theta`.
  void lpt_vjp(std::array<double, kNumCosmoParams>& theta) {
    timer.begin("lpt vjp");
    const std::array<CosmoDual, 4> f = lpt_factors(cosmology_dual, grid.front());
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

  // ---- gravity (sim/gravity.cpp) ----------------------------------------------------------

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
    w[static_cast<int>(CosmoParam::Omega_m)] = 1.0 / config.cosmology.Omega_m;
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

  // ---- the run ----------------------------------------------------------------------------

  void run_forward() {
    lpt_forward();
    const int steps = static_cast<int>(grid.size()) - 1;
    if (steps <= 0) return;
    accelerations();
    for (int i = 0; i < steps; ++i) {
      const double a0 = grid[i], a1 = grid[i + 1], ah = std::sqrt(a0 * a1);
      timer.begin("kick/drift");
      kick(mom.data(), acc.data(), kick_factor(cosmology, a0, ah, a0), np3);
      drift(disp.data(), mom.data(), drift_factor(cosmology, a0, a1, ah), np3);
      timer.end();
      accelerations();
      timer.begin("kick/drift");
      kick(mom.data(), acc.data(), kick_factor(cosmology, ah, a1, a1), np3);
      timer.end();
    }
  }

  /// DifferentiableSim::backward's kick_vjp (no intermediate cotangents): the combined kick
  /// K1 pi + K2 pi at the current position; returns K1's value.
  double kick_vjp(int first) {
    const int steps = static_cast<int>(grid.size()) - 1;
    const bool has_k1 = first<steps, has_k2 = first> 0;
    CosmoDual k1(0.0), k2(0.0);
    if (has_k1) {
      const double a0 = grid[first], a1 = grid[first + 1];
      k1 = kick_factor(cosmology_dual, a0, std::sqrt(a0 * a1), a0);
    }
    if (has_k2) {
      const double a0 = grid[first - 1], a1 = grid[first];
      k2 = kick_factor(cosmology_dual, std::sqrt(a0 * a1), a1, a1);
    }
    timer.begin("vjp kick/drift");
    axpby(k1.v, pi.data(), k2.v, pi.data(), cot.data(), np3);
    timer.end();
    accelerations_vjp(cot.data(), xi.data());  // acc now holds the force
    std::array<double, kNumCosmoParams> w{};
    for (int i = 0; i < kNumCosmoParams; ++i) {
      w[i] = (has_k1 ? k1.d[i] : 0.0) + (has_k2 ? k2.d[i] : 0.0);
    }
    timer.begin("vjp kick/drift");
    dot(pi.data(), acc.data(), np3, slot(w));
    timer.end();
    return k1.v;
  }

  std::array<double, kNumCosmoParams> run_backward() {
    const int steps = static_cast<int>(grid.size()) - 1;
    reset_slots(steps);
    std::array<double, kNumCosmoParams> theta{};
    if (steps > 0) {
      kick_vjp(steps);
      for (int i = steps - 1; i >= 0; --i) {
        const double a0 = grid[i], a1 = grid[i + 1], ah = std::sqrt(a0 * a1);
        const double k2 = kick_factor(cosmology, ah, a1, a1);
        const CosmoDual d = drift_factor(cosmology_dual, a0, a1, ah);
        timer.begin("vjp kick/drift");
        kick(mom.data(), acc.data(), -k2, np3);                 // p: end of step -> half step
        dot(xi.data(), mom.data(), np3, slot(dual_weight(d)));  // x1 = x0 + D p_half
        axpby(1.0, pi.data(), d.v, xi.data(), pi.data(), np3);
        drift(disp.data(), mom.data(), -d.v, np3);  // x: end of step -> start
        timer.end();
        const double k1 = kick_vjp(i);
        timer.begin("vjp kick/drift");
        kick(mom.data(), acc.data(), -k1, np3);  // p: half step -> start of step
        timer.end();
      }
    }
    lpt_vjp(theta);
    add_slot_terms(theta);
    return theta;
  }

  /// Uploads the cotangents into xi, pi and clears the scalar slots for `steps` steps.
  void prepare_backward(const StateCotangent<T>& final_cot, int steps) {
    if (final_cot.disp.size() != np3 || final_cot.mom.size() != np3) {
      throw std::invalid_argument(
          "CudaSim::backward: cotangents must hold 3 values per particle (" + std::to_string(np3) +
          "), got " + std::to_string(final_cot.disp.size()) + " and " +
          std::to_string(final_cot.mom.size()));
    }
    if (xi.size() != np3) {
      xi = DeviceBuffer<T>(np3, "dJ/d disp");
      pi = DeviceBuffer<T>(np3, "dJ/d mom");
      cot = DeviceBuffer<T>(np3, "the force cotangent");
    }
    xi.upload(final_cot.disp.data());
    pi.upload(final_cot.mom.data());
    reset_slots(steps);
  }

  /// Clears the scalar slots (enough for `steps` steps).
  void reset_slots(int steps) {
    const std::size_t capacity = static_cast<std::size_t>(4 * steps + 32);
    if (scalars.size() < capacity) scalars = DeviceBuffer<double>(capacity, "the scalar slots");
    scalars.zero();
    terms.clear();
    used_slots = 0;
  }

  /// theta += the weighted values of the scalar slots (one download).
  void add_slot_terms(std::array<double, kNumCosmoParams>& theta) {
    const std::vector<double> values = scalars.to_host();
    for (const auto& [s, w] : terms) {
      for (int i = 0; i < kNumCosmoParams; ++i) theta[i] += w[i] * values[s];
    }
  }

  /// A host field of the particle grid holding the device mesh `d`.
  Field<T> to_field(const DeviceBuffer<T>& d) const {
    Field<T> f{Decomposition(pm.n_side)};
    d.download(f.real());
    return f;
  }
};

template <class T>
CudaSim<T>::CudaSim(const SimConfig& c, GradientMode mode, int checkpoint_every) {
  if (mode != GradientMode::adjoint) {
    throw std::invalid_argument(
        "gradient_mode = 'checkpoint' is not supported on cuda yet (allowed: adjoint)");
  }
  check_differentiable_config(c, checkpoint_every);
  require_device(Device::cuda);
  impl_ = std::make_unique<Impl>(c);
}

template <class T>
CudaSim<T>::~CudaSim() = default;

template <class T>
Field<T> CudaSim<T>::white_noise() const {
  Impl& m = *impl_;
  DeviceBuffer<T> w(m.grid_size, "the white noise");
  const SimConfig& c = m.config;
  fill_white_noise(w.data(), c.particles, NoiseOptions{c.seed, c.fixed_amplitude, c.paired});
  m.fft_grid.backward(w.data());
  scale(w.data(), m.grid_size, static_cast<T>(white_noise_scale(c.particles)));
  return m.to_field(w);
}

template <class T>
void CudaSim<T>::forward(const Field<T>& w) {
  Impl& m = *impl_;
  if (w.n() != m.pm.n_side) {
    throw std::invalid_argument(
        "CudaSim::forward: the noise mesh has n = " + std::to_string(w.n()) +
        ", expected the particle grid n = " + std::to_string(m.pm.n_side));
  }
  m.noise.upload(w.real());
  m.run_forward();
}

template <class T>
void CudaSim<T>::forward_white_noise() {
  Impl& m = *impl_;
  const SimConfig& c = m.config;
  fill_white_noise(m.noise.data(), c.particles, NoiseOptions{c.seed, c.fixed_amplitude, c.paired});
  m.fft_grid.backward(m.noise.data());
  scale(m.noise.data(), m.grid_size, static_cast<T>(white_noise_scale(c.particles)));
  m.run_forward();
}

template <class T>
void CudaSim<T>::initial_conditions(const Field<T>& w) {
  Impl& m = *impl_;
  if (w.n() != m.pm.n_side) {
    throw std::invalid_argument(
        "CudaSim::initial_conditions: the noise mesh has n = " + std::to_string(w.n()) +
        ", expected the particle grid n = " + std::to_string(m.pm.n_side));
  }
  m.noise.upload(w.real());
  m.lpt_forward();
}

template <class T>
SimGradients<T> CudaSim<T>::initial_conditions_vjp(const StateCotangent<T>& ic_cot) {
  Impl& m = *impl_;
  m.prepare_backward(ic_cot, 0);
  std::array<double, kNumCosmoParams> theta{};
  m.lpt_vjp(theta);
  m.add_slot_terms(theta);
  return SimGradients<T>{noise_gradient(), theta};
}

template <class T>
void CudaSim<T>::final_state(Particles<T>& host) const {
  const Impl& m = *impl_;
  host = Particles<T>::lattice_grid(m.pm.n_side, m.pm.box);
  m.disp.download(host.disp.data());
  m.mom.download(host.mom.data());
}

template <class T>
std::array<double, kNumCosmoParams> CudaSim<T>::backward_on_device(
    const StateCotangent<T>& final_cot) {
  set_final_cotangent(final_cot);
  return impl_->run_backward();
}

template <class T>
void CudaSim<T>::set_final_cotangent(const StateCotangent<T>& final_cot) {
  impl_->prepare_backward(final_cot, 0);
}

template <class T>
std::array<double, kNumCosmoParams> CudaSim<T>::backward_on_device() {
  if (impl_->xi.size() == 0) {
    throw std::logic_error("CudaSim::backward_on_device: call set_final_cotangent() first");
  }
  return impl_->run_backward();
}

template <class T>
Field<T> CudaSim<T>::noise_gradient() const {
  if (impl_->noise_grad.size() == 0) {
    throw std::logic_error("CudaSim::noise_gradient: call backward_on_device() first");
  }
  return impl_->to_field(impl_->noise_grad);
}

template <class T>
SimGradients<T> CudaSim<T>::backward(const StateCotangent<T>& final_cot) {
  const std::array<double, kNumCosmoParams> theta = backward_on_device(final_cot);
  return SimGradients<T>{noise_gradient(), theta};
}

template <class T>
const std::vector<double>& CudaSim<T>::time_grid() const {
  return impl_->grid;
}

template <class T>
void CudaSim<T>::enable_timings(bool on) {
  impl_->timer.enable(on);
}

template <class T>
KernelTimings CudaSim<T>::timings() const {
  impl_->timer.collect();
  return KernelTimings{impl_->timer.totals()};
}

template <class T>
void CudaSim<T>::reset_timings() {
  impl_->timer.reset();
}

template <class T>
std::size_t CudaSim<T>::device_bytes() const {
  const Impl& m = *impl_;
  std::size_t b = m.amp.bytes() + m.amp_dual.bytes() + m.tab_m2.bytes() + m.tab_grad.bytes() +
                  m.tab_w2.bytes() + m.noise.bytes() + m.disp.bytes() + m.mom.bytes() +
                  m.acc.bytes() + m.xi.bytes() + m.pi.bytes() + m.cot.bytes() +
                  m.noise_grad.bytes() + m.scalars.bytes();
  for (const auto& mesh : m.mesh) b += mesh.bytes();
  return b;
}

template class CudaSim<float>;
template class CudaSim<double>;

namespace {
/// DifferentiableSim's `device = cuda` engine: CudaSim behind the DeviceSim interface.
template <class T>
class CudaDeviceSim final : public DeviceSim<T> {
 public:
  CudaDeviceSim(const SimConfig& c, GradientMode mode, int checkpoint_every)
      : sim_(c, mode, checkpoint_every) {}
  Field<T> white_noise() const override { return sim_.white_noise(); }
  void forward(const Field<T>& w) override { sim_.forward(w); }
  void state(Particles<T>& host) const override { sim_.final_state(host); }
  SimGradients<T> backward(const StateCotangent<T>& cot) override { return sim_.backward(cot); }

 private:
  CudaSim<T> sim_;
};
}  // namespace

}  // namespace cosmograd::sim::cuda

namespace cosmograd::sim {

template <class T>
std::unique_ptr<DeviceSim<T>> make_cuda_sim(const SimConfig& c, GradientMode mode,
                                            int checkpoint_every) {
  return std::make_unique<cuda::CudaDeviceSim<T>>(c, mode, checkpoint_every);
}

template std::unique_ptr<DeviceSim<float>> make_cuda_sim<float>(const SimConfig&, GradientMode,
                                                                int);
template std::unique_ptr<DeviceSim<double>> make_cuda_sim<double>(const SimConfig&, GradientMode,
                                                                  int);

}  // namespace cosmograd::sim
