#include "sim/pm/gravity.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/core/non_finite.hpp"
#include "sim/core/timer.hpp"
#include "sim/mesh/fd4_readout.hpp"
#include "sim/mesh/ghosts.hpp"

namespace cosmograd::sim {
namespace {
/// Offset of the force mesh from the particle lattice [cells]: lattice particles then sit
/// between mesh points, where the CIC window is smooth. On mesh points (shift 0, any
/// integer B) they sit on the window's kink, and the painted density of a slightly
/// perturbed lattice is not linear in the displacements, which spoils linear growth.
constexpr double kMeshShift = 0.5;

/// The Fourier force kernel of component d (FastPM, Feng et al. 2016):
/// acc_d(k) = K_d(k) rho(k) with K_d = i g_d(k) s(k), s = (3/2) Omega_m / (n^3 k^2)
/// [/ W(k)^2 with deconvolution], rho the painted mass (mean 1) whose forward FFT is
/// unnormalised, g_d the gradient kernel's effective wavenumber. Per-axis tables.
struct ForceKernel {
  std::vector<double> m2;      // integer mode squared
  std::vector<double> grad;    // g along one axis [h/Mpc]
  std::vector<double> inv_w2;  // 1 / W_1d^2 (paint + readout windows), or 1
  double poisson;              // (3/2) Omega_m / (n^3 k_F^2) [(Mpc/h)^2]

  ForceKernel(const Decomposition& d, double box, const ForceOptions& o, double Omega_m)
      : m2(d.n()), grad(d.n()), inv_w2(d.n()) {
    const int n = d.n();
    const double kf = 2.0 * M_PI / box;
    for (int i = 0; i < n; ++i) {  // index: global array index 0..n-1
      const int m = d.signed_mode(i);
      m2[i] = static_cast<double>(m) * m;
      grad[i] = gradient_k(o.gradient, m, n, box);
      const double w = window_1d(o.painter, m, n);
      inv_w2[i] = o.deconvolve ? 1.0 / (w * w) : 1.0;
    }
    poisson = 1.5 * Omega_m / (std::pow(static_cast<double>(n), 3) * kf * kf);
  }
  /// s(k) of mode (global x, y, z); 0 for k = 0 (the mean density exerts no force).
  double scale(int gx, int y, int z) const {
    const double mm = m2[gx] + m2[y] + m2[z];
    return mm == 0.0 ? 0.0 : poisson * (inv_w2[gx] * inv_w2[y]) * inv_w2[z] / mm;
  }
};

/// Calls f(gx, gy, z, i) for every local Fourier mode (global array indices), i its complex
/// index, in the layout of `fft` ([x_local][y][z], or [y_local][x][z] when transposed: the
/// y-slab then equals the x-slab); parallel over rows.
template <class T, class F>
void for_each_mode(const Decomposition& d, const Fft<T>& fft, const F& f) {
  const bool transposed = fft.transposed();
#pragma omp parallel for collapse(2) schedule(static)
  for (int a = 0; a < d.nx_local(); ++a) {
    for (int b = 0; b < d.n(); ++b) {
      const std::size_t row = d.complex_index(a, b, 0);
      const int gx = transposed ? b : d.x_begin() + a;
      const int gy = transposed ? d.x_begin() + a : b;
      for (int z = 0; z < d.nz_complex(); ++z) f(gx, gy, z, row + z);
    }
  }
}
/// The density term of the force vjp in Fourier space (any gradient kernel): the painted
/// cotangents P_d in mesh[0..2] (mesh[2] = rho) to lambda_k in rho's modes; 3 r2c.
template <class T>
void density_term_in_fourier_space(Fft<T>& fft, const Decomposition& decomp,
                                   const std::array<Field<T>*, 3>& mesh, Field<T>& rho,
                                   const ForceKernel& kernel, ForceTimings& timings) {
  Stopwatch sw;
  for (Field<T>* f : mesh) fft.forward(*f);
  timings.vjp_r2c += sw.restart();
  // A_d is a real convolution, so A_d^T has the kernel K_d(-k) = conj K_d(k) = -i g_d s:
  // lambda_k = -i s(k) sum_d g_d(k) P_d(k), accumulated into rho_ (= mesh[2]) in place.
  const std::complex<T>* cot_k[3] = {mesh[0]->complex(), mesh[1]->complex(), mesh[2]->complex()};
  std::complex<T>* lambda = rho.complex();
  for_each_mode(decomp, fft, [&](int gx, int y, int z, std::size_t i) {
    const double g[3] = {kernel.grad[gx], kernel.grad[y], kernel.grad[z]};
    double re = 0, im = 0;
    for (int dim = 0; dim < 3; ++dim) {
      re += g[dim] * static_cast<double>(cot_k[dim][i].real());
      im += g[dim] * static_cast<double>(cot_k[dim][i].imag());
    }
    const double s = kernel.scale(gx, y, z);
    lambda[i] = std::complex<T>(static_cast<T>(s * im), static_cast<T>(-s * re));
  });
  timings.vjp_kernels += sw.restart();
}

/// phi_k = -s(k) rho_k in place: the Green's function of the potential (acc_k = i g s rho_k =
/// -i g phi_k); symmetric, so also its own transpose.
template <class T>
void apply_green(Field<T>& rho, const Fft<T>& fft, const ForceKernel& kernel) {
  std::complex<T>* modes = rho.complex();
  for_each_mode(rho.decomp(), fft, [&](int gx, int y, int z, std::size_t i) {
    modes[i] *= static_cast<T>(-kernel.scale(gx, y, z));
  });
}

}  // namespace

template <class T>
Decomposition Gravity<T>::force_decomposition(int mesh, const Comm& comm,
                                              const ForceOptions& options) {
  const Decomposition d =
      with_paint_ghosts(Decomposition(mesh, comm), Decomposition(mesh, comm), options.painter);
  if (!real_space_gradient(options) || !d.distributed()) return d;
  return d.with_ghosts(d.ghost_lo() + kFd4StencilHalfWidth, d.ghost_hi() + kFd4StencilHalfWidth);
}

template <class T>
Gravity<T>::Gravity(int mesh, double box_size, int threads, FftPlanning planning,
                    ForceOptions options, const Comm& comm)
    : decomp_(force_decomposition(mesh, comm, options)),
      box_(box_size),
      options_(options),
      fft_(decomp_, threads, planning, FourierLayout::transposed),  // one transpose per FFT
      rho_(decomp_) {}

template <class T>
T Gravity<T>::particle_mass(std::size_t total_particles) const {
  return static_cast<T>(std::pow(static_cast<double>(decomp_.n()), 3) / total_particles);
}

template <class T>
void Gravity<T>::paint_mass(const Particles<T>& p, std::size_t total_particles, double shift) {
  order_.sort(p, decomp_.n(), box_, shift);
  rho_.fill(T(0));
  paint(rho_, p, box_, options_.painter, particle_mass(total_particles), shift, &order_);
  reduce_ghosts(rho_);
}

template <class T>
const Field<T>& Gravity<T>::density(const Particles<T>& p, std::size_t total_particles) {
  paint_mass(p, total_particles, 0.0);
  T* r = rho_.real();
  const std::size_t size = rho_.buffer_size();
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < size; ++i) r[i] -= T(1);
  return rho_;
}

template <class T>
void Gravity<T>::density_modes(const Particles<T>& p, std::size_t total_particles,
                               ForceTimings& t) {
  Stopwatch sw;
  paint_mass(p, total_particles, kMeshShift);  // the mean (k = 0) is dropped in Fourier space
  t.paint += sw.restart();
  fft_.forward(rho_);
  t.r2c += sw.restart();
  // The density's guard: one NaN or Inf in the mesh spreads to every mode of the transform,
  // so this rank's first mode tells (the positions were checked when sorted).
  if (rho_.buffer_size() >= 2 && !std::isfinite(std::abs(rho_.complex()[0]))) {
    throw NonFiniteError("the density mesh is not finite (its first Fourier mode on this rank is " +
                         std::to_string(rho_.complex()[0].real()) + " + " +
                         std::to_string(rho_.complex()[0].imag()) +
                         "i): a painted mass or weight is NaN or Inf");
  }
}

template <class T>
void Gravity<T>::potential(const Particles<T>& p, double Omega_m, std::size_t total_particles,
                           ForceTimings& t) {
  density_modes(p, total_particles, t);
  Stopwatch sw;
  apply_green(rho_, fft_, ForceKernel(decomp_, box_, options_, Omega_m));
  t.kernels += sw.restart();
  fft_.backward(rho_);
  fill_ghosts(rho_);
  t.c2r += sw.restart();
}

template <class T>
std::array<Field<T>*, 3> Gravity<T>::force_meshes(const Particles<T>& p, double Omega_m,
                                                  std::size_t total_particles, ForceTimings& t) {
  if (work_.empty()) {
    work_.emplace_back(decomp_);
    work_.emplace_back(decomp_);
  }
  density_modes(p, total_particles, t);
  Stopwatch sw;
  const ForceKernel kernel(decomp_, box_, options_, Omega_m);
  const std::array<Field<T>*, 3> out_mesh = {&work_[0], &work_[1], &rho_};
  // Components x and y go to the two work meshes; z is computed in place over rho_k, whose
  // last use it is.
  const std::complex<T>* in = rho_.complex();
  for (int dim = 0; dim < 3; ++dim) {
    std::complex<T>* out = out_mesh[dim]->complex();
    for_each_mode(decomp_, fft_, [&](int gx, int y, int z, std::size_t i) {
      const double g = dim == 0 ? kernel.grad[gx] : dim == 1 ? kernel.grad[y] : kernel.grad[z];
      const double factor = g * kernel.scale(gx, y, z);
      // acc_k = i g (3/2) Omega_m delta_k / k^2
      const std::complex<T> v = in[i];
      out[i] =
          std::complex<T>(static_cast<T>(-factor * v.imag()), static_cast<T>(factor * v.real()));
    });
    t.kernels += sw.restart();
    fft_.backward(*out_mesh[dim]);
    t.c2r += sw.restart();
  }
  fill_ghosts(out_mesh.data(), 3);
  t.c2r += sw.restart();
  return out_mesh;
}

template <class T>
void Gravity<T>::accelerations(const Particles<T>& p, double Omega_m, std::size_t total_particles,
                               std::vector<T>& acc) {
  acc.resize(3 * p.size());
  if (real_space_gradient(options_)) {
    potential(p, Omega_m, total_particles, timings_);
    Stopwatch sw;
    // acc = -D phi / dx, read out of the potential (sim/mesh/fd4_readout.hpp)
    readout_fd4_gradient(rho_, p, box_, options_.painter, -decomp_.n() / box_, acc.data(),
                         kMeshShift, &order_);
    timings_.readout += sw.restart();
    return;
  }
  const std::array<Field<T>*, 3> mesh = force_meshes(p, Omega_m, total_particles, timings_);
  Stopwatch sw;
  // One readout pass evaluates the window once for all three components.
  const Field<T>* meshes[3] = {mesh[0], mesh[1], mesh[2]};
  readout3(meshes, p, box_, options_.painter, acc.data(), kMeshShift);
  timings_.readout += sw.restart();
}

template <class T>
double Gravity<T>::accelerations_vjp(const Particles<T>& p, double Omega_m,
                                     std::size_t total_particles, const std::vector<T>& acc_cot,
                                     std::vector<T>& grad, std::vector<T>* acc) {
  const std::size_t n3p = 3 * p.size();
  if (acc_cot.size() != n3p || grad.size() != n3p) {
    throw std::invalid_argument(
        "Gravity::accelerations_vjp: acc_cot and grad must hold 3 values per particle (" +
        std::to_string(n3p) + "), got " + std::to_string(acc_cot.size()) + " and " +
        std::to_string(grad.size()));
  }
  T* out = nullptr;
  if (acc != nullptr) {
    acc->resize(n3p);
    out = acc->data();
  }
  // J = sum_j cot_j . acc_j with acc_j,d = sum_c W(x_j - c) a_d(c) and a_d = A_d rho, A_d
  // the real-space operator of the kernel K_d, rho = m sum_j W(x_j - c) (pmwd, Li et al.
  // 2022). (a) The direct term: the window's derivative at x_j against the force; (b) the
  // density term: dJ/drho = sum_d A_d^T P_d, P_d = sum_j cot_j,d W(x_j - c).
  const ForceKernel kernel(decomp_, box_, options_, Omega_m);
  ForceTimings forward;
  double J = 0;
  Stopwatch sw;
  if (real_space_gradient(options_)) {
    potential(p, Omega_m, total_particles, forward);
    timings_.vjp_forward += forward.total();
    sw.restart();
    // acc_d = scale D_d phi read out, phi = G rho with G <-> -s(k) symmetric:
    // dJ/drho = G sum_d (scale D_d)^T P_d, painted through the transposed stencil.
    const double scale = -decomp_.n() / box_;
    J = readout_fd4_gradient_vjp_positions(rho_, p, box_, options_.painter, scale, acc_cot.data(),
                                           grad.data(), kMeshShift, out, &order_);
    timings_.vjp_readout += sw.restart();
    rho_.fill(T(0));
    paint_fd4_gradient_transpose(rho_, p, box_, options_.painter, scale, acc_cot.data(), kMeshShift,
                                 &order_);
    reduce_ghosts(rho_);
    timings_.vjp_paint += sw.restart();
    fft_.forward(rho_);
    timings_.vjp_r2c += sw.restart();
    apply_green(rho_, fft_, kernel);
    timings_.vjp_kernels += sw.restart();
  } else {
    const std::array<Field<T>*, 3> mesh = force_meshes(p, Omega_m, total_particles, forward);
    timings_.vjp_forward += forward.total();
    sw.restart();
    const Field<T>* force[3] = {mesh[0], mesh[1], mesh[2]};
    J = readout3_vjp_positions(force, p, box_, options_.painter, acc_cot.data(), grad.data(),
                               kMeshShift, out);
    timings_.vjp_readout += sw.restart();
    // P_d painted into the now free force meshes
    for (Field<T>* f : mesh) f->fill(T(0));
    paint3_weighted(mesh.data(), p, box_, options_.painter, acc_cot.data(), kMeshShift, &order_);
    reduce_ghosts(mesh.data(), 3);
    timings_.vjp_paint += sw.restart();
    density_term_in_fourier_space(fft_, decomp_, mesh, rho_, kernel, timings_);
    sw.restart();
  }
  fft_.backward(rho_);
  fill_ghosts(rho_);
  timings_.vjp_c2r += sw.restart();
  // grad_j += m sum_c dW(x_j - c)/dx_j lambda(c): paint's vjp.
  paint_vjp(rho_, p, box_, options_.painter, particle_mass(total_particles), grad.data(),
            kMeshShift, &order_);
  timings_.vjp_gather += sw.restart();
  return J / Omega_m;  // acc is proportional to Omega_m
}

template class Gravity<float>;
template class Gravity<double>;

}  // namespace cosmograd::sim
