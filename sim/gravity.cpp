#include "sim/gravity.hpp"

#include <cmath>

#include "sim/timer.hpp"

namespace cosmograd::sim {
namespace {
/// Offset of the force mesh from the particle lattice [cells]: lattice particles then sit
/// between mesh points, where the CIC window is smooth. On mesh points (shift 0, any
/// integer B) they sit on the window's kink, and the painted density of a slightly
/// perturbed lattice is not linear in the displacements, which spoils linear growth.
constexpr double kMeshShift = 0.5;
}  // namespace

template <class T>
Gravity<T>::Gravity(int mesh, double box_size, int threads, FftPlanning planning,
                    ForceOptions options)
    : decomp_(mesh),
      box_(box_size),
      options_(options),
      fft_(decomp_, threads, planning),
      rho_(decomp_),
      work_{Field<T>(decomp_), Field<T>(decomp_)} {}

template <class T>
void Gravity<T>::paint_mass(const Particles<T>& p, std::size_t total_particles, double shift) {
  const double n3 = std::pow(static_cast<double>(decomp_.n()), 3);
  rho_.fill(T(0));
  paint(rho_, p, box_, options_.painter, static_cast<T>(n3 / total_particles), shift);
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
void Gravity<T>::accelerations(const Particles<T>& p, double Omega_m, std::size_t total_particles,
                               std::vector<T>& acc) {
  Stopwatch sw;
  paint_mass(p, total_particles, kMeshShift);  // the mean (k = 0) is dropped in Fourier space
  timings_.paint += sw.restart();
  fft_.forward(rho_);
  timings_.r2c += sw.restart();
  acc.resize(3 * p.size());

  const Decomposition& d = decomp_;
  const int n = d.n();
  const double n3 = std::pow(static_cast<double>(n), 3);
  const double kf = 2.0 * M_PI / box_;
  // Per-axis tables (index: global array index 0..n-1): integer mode squared, the gradient
  // kernel's effective wavenumber and the inverse squared window (paint + readout).
  std::vector<double> m2(n), grad(n), inv_w2(n);
  for (int i = 0; i < n; ++i) {
    const int m = d.signed_mode(i);
    m2[i] = static_cast<double>(m) * m;
    grad[i] = gradient_k(options_.gradient, m, n, box_);
    const double w = window_1d(options_.painter, m, n);
    inv_w2[i] = options_.deconvolve ? 1.0 / (w * w) : 1.0;
  }
  // phi_k = -(3/2) Omega_m delta_k / k^2 and acc_k = -i g(k) phi_k, with delta_k = rho_k / n^3
  // (forward FFTs are unnormalised) and g the gradient kernel's effective wavenumber.
  const double poisson = 1.5 * Omega_m / (n3 * kf * kf);
  // Components x and y go to the two work meshes; z is computed in place over rho_k, whose
  // last use it is. Then one readout pass evaluates the window once for all three.
  Field<T>* out_mesh[3] = {&work_[0], &work_[1], &rho_};
  for (int dim = 0; dim < 3; ++dim) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int xl = 0; xl < d.nx_local(); ++xl) {
      for (int y = 0; y < n; ++y) {
        const int gx = d.x_begin() + xl;
        const double mxy = m2[gx] + m2[y];
        const double wxy = inv_w2[gx] * inv_w2[y];
        const double gxy = dim == 0 ? grad[gx] : grad[y];
        const std::complex<T>* in = rho_.complex() + d.complex_index(xl, y, 0);
        std::complex<T>* out = out_mesh[dim]->complex() + d.complex_index(xl, y, 0);
        for (int z = 0; z < d.nz_complex(); ++z) {
          const double mm = mxy + m2[z];
          const double g = dim == 2 ? grad[z] : gxy;
          const double factor = mm == 0.0 ? 0.0 : poisson * g * wxy * inv_w2[z] / mm;
          // acc_k = i g (3/2) Omega_m delta_k / k^2
          const std::complex<T> v = in[z];
          out[z] = std::complex<T>(static_cast<T>(-factor * v.imag()),
                                   static_cast<T>(factor * v.real()));
        }
      }
    }
    timings_.kernels += sw.restart();
    fft_.backward(*out_mesh[dim]);
    timings_.c2r += sw.restart();
  }
  const Field<T>* meshes[3] = {out_mesh[0], out_mesh[1], out_mesh[2]};
  readout3(meshes, p, box_, options_.painter, acc.data(), kMeshShift);
  timings_.readout += sw.restart();
}

template class Gravity<float>;
template class Gravity<double>;

}  // namespace cosmograd::sim
