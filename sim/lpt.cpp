#include "sim/lpt.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace cosmograd::sim {
namespace {

/// out_k = f(kvec) in_k for every local mode, with kvec = 2 pi m / L [h/Mpc].
template <class T, class F>
void apply_kernel(const Field<T>& in, Field<T>& out, double box, F f) {
  const Decomposition& d = in.decomp();
  const int n = d.n();
  const double kf = 2.0 * M_PI / box;
#pragma omp parallel for collapse(2) schedule(static)
  for (int xl = 0; xl < d.nx_local(); ++xl) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < d.nz_complex(); ++z) {
        const auto m = d.mode_of(xl, y, z);
        const double k[3] = {kf * m[0], kf * m[1], kf * m[2]};
        const std::complex<double> v = f(k, std::complex<double>(in.mode(xl, y, z)));
        out.mode(xl, y, z) = std::complex<T>(static_cast<T>(v.real()), static_cast<T>(v.imag()));
      }
    }
  }
}

inline double k2_of(const double* k) { return k[0] * k[0] + k[1] * k[1] + k[2] * k[2]; }

/// out = d^2 phi / dx_i dx_j in real space, phi the potential with laplacian(phi) = delta:
/// (d_i d_j phi)_k = k_i k_j delta_k / k^2.
template <class T>
void hessian_component(const Field<T>& delta_k, Field<T>& out, double box, int i, int j,
                       const Fft<T>& fft) {
  apply_kernel(delta_k, out, box, [i, j](const double* k, std::complex<double> v) {
    const double k2 = k2_of(k);
    return k2 == 0 ? std::complex<double>(0) : v * (k[i] * k[j] / k2);
  });
  fft.backward(out);
}

/// out = component `dim` of the displacement whose divergence is `sign` * source:
/// Psi_k = -sign i k source_k / k^2, in real space.
template <class T>
void displacement_component(const Field<T>& source_k, Field<T>& out, double box, int dim,
                            double sign, const Fft<T>& fft) {
  apply_kernel(source_k, out, box, [dim, sign](const double* k, std::complex<double> v) {
    const double k2 = k2_of(k);
    return k2 == 0 ? std::complex<double>(0)
                   : std::complex<double>(0, -sign * k[dim] / k2) * v;
  });
  fft.backward(out);
}

}  // namespace

template <class T>
void zero_nyquist_and_mean(Field<T>& modes) {
  const Decomposition& d = modes.decomp();
  const int h = d.n() / 2;
#pragma omp parallel for collapse(2) schedule(static)
  for (int xl = 0; xl < d.nx_local(); ++xl) {
    for (int y = 0; y < d.n(); ++y) {
      for (int z = 0; z < d.nz_complex(); ++z) {
        const auto m = d.mode_of(xl, y, z);
        if (m[0] == -h || m[1] == -h || m[2] == h || (m[0] == 0 && m[1] == 0 && m[2] == 0)) {
          modes.mode(xl, y, z) = 0;
        }
      }
    }
  }
}

template <class T>
void linear_modes_from_noise(Field<T>& modes, double box_size,
                             const std::function<double(double)>& power) {
  const double volume = box_size * box_size * box_size;
  apply_kernel(modes, modes, box_size, [&](const double* k, std::complex<double> v) {
    const double kk = std::sqrt(k2_of(k));
    return kk == 0 ? std::complex<double>(0) : v * std::sqrt(power(kk) / volume);
  });
  zero_nyquist_and_mean(modes);
}

template <class T>
Particles<T> lpt_particles(const Field<T>& delta_k, double box_size, int order,
                           const Cosmology& cosmology, double a, const Fft<T>& fft) {
  if (order != 1 && order != 2) {
    throw std::invalid_argument("lpt_order = " + std::to_string(order) + " is not allowed (allowed: 1, 2)");
  }
  const Decomposition& d = delta_k.decomp();
  const int n = d.n();
  Particles<T> p;
  p.n_side = n;
  p.box_size = box_size;
  p.resize(d.local_cells());
  for (int xl = 0; xl < d.nx_local(); ++xl) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) {
        const std::size_t j = (static_cast<std::size_t>(xl) * n + y) * n + z;
        p.id[j] = (static_cast<std::uint64_t>(d.x_begin() + xl) * n + y) * n + z;
      }
    }
  }
  // Linear growth at a, normalised to D1(a=1) = 1 like the modes (sim/cosmology.hpp).
  const double d1 = cosmology.D1_norm(a);
  const double d2 = cosmology.D2_norm(a);
  const double vfac = a * a * cosmology.E(a);  // p = a^2 E dx/dln a
  const double v1 = vfac * d1 * cosmology.f1(a);
  const double v2 = vfac * d2 * cosmology.f2(a);

  // Adds c_disp * psi and c_mom * psi (psi in real space on the lattice) to the particles.
  auto add = [&](const Field<T>& psi, int dim, double c_disp, double c_mom) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int xl = 0; xl < d.nx_local(); ++xl) {
      for (int y = 0; y < n; ++y) {
        for (int z = 0; z < n; ++z) {
          const std::size_t j = (static_cast<std::size_t>(xl) * n + y) * n + z;
          const double v = psi.at(xl, y, z);
          p.disp[3 * j + dim] += static_cast<T>(c_disp * v);
          p.mom[3 * j + dim] += static_cast<T>(c_mom * v);
        }
      }
    }
  };

  Field<T> work(d);
  for (int dim = 0; dim < 3; ++dim) {
    displacement_component(delta_k, work, box_size, dim, -1.0, fft);  // div Psi1 = -delta
    add(work, dim, d1, v1);
  }
  if (order == 2) {
    // delta2 = sum_{i<j} phi_ii phi_jj - phi_ij^2 (Scoccimarro 1998 eq. B5), assembled with
    // three Hessian buffers; then Psi2 = grad phi2 with laplacian(phi2) = delta2, so that
    // x = q - D1 grad phi1 + D2 grad phi2 with D2 ~ -3/7 D1^2.
    Field<T> a_xx(d), b_yy(d), delta2(d);
    hessian_component(delta_k, a_xx, box_size, 0, 0, fft);
    hessian_component(delta_k, b_yy, box_size, 1, 1, fft);
    hessian_component(delta_k, work, box_size, 2, 2, fft);
    T* s = delta2.real();
    const T* xx = a_xx.real();
    const T* yy = b_yy.real();
    const T* w = work.real();  // phi_zz, then each off-diagonal phi_ij
    const std::size_t size = delta2.buffer_size();
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < size; ++i) s[i] = xx[i] * yy[i] + (xx[i] + yy[i]) * w[i];
    const int off[3][2] = {{0, 1}, {0, 2}, {1, 2}};
    for (const auto& ij : off) {
      hessian_component(delta_k, work, box_size, ij[0], ij[1], fft);
#pragma omp parallel for schedule(static)
      for (std::size_t i = 0; i < size; ++i) s[i] -= w[i] * w[i];
    }
    fft.forward(delta2);
    const double inv_n3 = 1.0 / (static_cast<double>(n) * n * n);
    T* c = delta2.real();
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < size; ++i) c[i] *= static_cast<T>(inv_n3);
    for (int dim = 0; dim < 3; ++dim) {
      displacement_component(delta2, work, box_size, dim, +1.0, fft);  // div Psi2 = +delta2
      add(work, dim, d2, v2);
    }
  }
  return p;
}

#define COSMOGRAD_INSTANTIATE(T)                                                              \
  template void linear_modes_from_noise<T>(Field<T>&, double,                                \
                                           const std::function<double(double)>&);            \
  template void zero_nyquist_and_mean<T>(Field<T>&);                                         \
  template Particles<T> lpt_particles<T>(const Field<T>&, double, int, const Cosmology&,     \
                                         double, const Fft<T>&);
COSMOGRAD_INSTANTIATE(float)
COSMOGRAD_INSTANTIATE(double)
#undef COSMOGRAD_INSTANTIATE

}  // namespace cosmograd::sim
