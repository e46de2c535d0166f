// Per-element formulas of the CUDA backend, shared by the device kernels (sim/cuda/*.cu) and
// host code: plain C++ (no CUDA headers), COSMOGRAD_HOST_DEVICE, so that
// tests/sim/cuda/test_cuda_math.cpp checks them on the CPU against the CPU engine
// (sim/mesh/painter.cpp, sim/pm/gravity.cpp, sim/pm/lpt.cpp, sim/mesh/fourier.hpp), whose formulas
// they mirror operation by operation.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "sim/core/philox.hpp"  // COSMOGRAD_HOST_DEVICE
#include "sim/mesh/window_weights.hpp"

namespace cosmograd::sim::cuda {

/// Offset of the force mesh from the particle lattice [cells] (as sim/pm/gravity.cpp).
inline constexpr double kMeshShift = 0.5;

// The window weights and periodic indices are the CPU painter's (one copy).
using sim::axis_weights;
using sim::wrapped_indices;

/// Position [cells of the mesh] along the three axes of lattice particle j (id = j, lattice
/// order) with displacement disp[3]: u = q n_mesh / L + disp n_mesh / L + shift, computed as
/// sim/mesh/painter.cpp's LatticePositions (lattice_to_cells = L / n_side * inv_cell).
template <class T>
COSMOGRAD_HOST_DEVICE inline void lattice_position(std::uint64_t j, int n_side,
                                                   double lattice_to_cells, double inv_cell,
                                                   const T* disp, double shift, double* u) {
  const std::uint64_t n = static_cast<std::uint64_t>(n_side);
  const std::uint64_t q1 = j / n;
  const std::uint64_t c[3] = {q1 / n, q1 % n, j % n};
  for (int d = 0; d < 3; ++d) {
    u[d] = static_cast<double>(c[d]) * lattice_to_cells + static_cast<double>(disp[d]) * inv_cell +
           shift;
  }
}

/// The order-P window of one point along the three axes (as sim/mesh/painter.cpp's Stencil):
/// periodic indices, weights and, with Deriv, the weights' derivatives [per cell].
template <int P, bool Deriv, class T>
struct Stencil {
  int idx[3][P];           ///< periodic mesh indices per axis
  T w[3][P];               ///< weights per axis
  T dw[3][Deriv ? P : 1];  ///< derivatives per axis (Deriv only)
  /// The window at cell coordinates u of an n mesh.
  COSMOGRAD_HOST_DEVICE Stencil(const double* u, int n) {
    for (int a = 0; a < 3; ++a) {
      T* d = Deriv ? dw[a] : w[a];
      wrapped_indices<P>(axis_weights<P, Deriv>(u[a], w[a], d), n, idx[a]);
    }
  }
};

/// Adds mass[m] W(u - cell) to meshes[m] (M meshes of an n^3 padded layout) at cell
/// coordinates u with add(pointer, value) (atomicAdd on the device): sim/mesh/painter.cpp's
/// scatter.
template <int P, int M, class T, class Add>
COSMOGRAD_HOST_DEVICE inline void scatter_point(T* const* meshes, int n, const double* u,
                                                const T* mass, const Add& add) {
  const std::size_t nzp = static_cast<std::size_t>(2 * (n / 2 + 1));
  const Stencil<P, false, T> s(u, n);
  for (int a = 0; a < P; ++a) {
    for (int b = 0; b < P; ++b) {
      const std::size_t row = (static_cast<std::size_t>(s.idx[0][a]) * n + s.idx[1][b]) * nzp;
      for (int m = 0; m < M; ++m) {
        T* r = meshes[m] + row;
        const T mab = mass[m] * s.w[0][a] * s.w[1][b];
        for (int c = 0; c < P; ++c) add(r + s.idx[2][c], mab * s.w[2][c]);
      }
    }
  }
}

/// Interpolates M meshes at cell coordinates u: out[m] = sum_cells W mesh_m(cell); with Deriv
/// also grad[d] = sum_m cot[m] sum_cells dW/du_d mesh_m [per cell] (sim/mesh/painter.cpp's gather,
/// operation by operation).
template <int P, int M, bool Deriv, class T>
COSMOGRAD_HOST_DEVICE inline void gather_point(const T* const* meshes, int n, const double* u,
                                               T* out, const T* cot, T* grad) {
  const std::size_t nzp = static_cast<std::size_t>(2 * (n / 2 + 1));
  const Stencil<P, Deriv, T> s(u, n);
  for (int m = 0; m < M; ++m) out[m] = 0;
  if constexpr (Deriv) grad[0] = grad[1] = grad[2] = 0;
  for (int a = 0; a < P; ++a) {
    for (int b = 0; b < P; ++b) {
      const std::size_t row = (static_cast<std::size_t>(s.idx[0][a]) * n + s.idx[1][b]) * nzp;
      const T wab = s.w[0][a] * s.w[1][b];
      T cw = 0, cdw = 0;
      for (int m = 0; m < M; ++m) {
        const T* r = meshes[m] + row;
        T sc = 0;
        for (int c = 0; c < P; ++c) sc += s.w[2][c] * r[s.idx[2][c]];
        out[m] += wab * sc;
        if constexpr (Deriv) {
          T sd = 0;
          for (int c = 0; c < P; ++c) sd += s.dw[2][c] * r[s.idx[2][c]];
          cw += cot[m] * sc;
          cdw += cot[m] * sd;
        }
      }
      if constexpr (Deriv) {
        grad[0] += s.dw[0][a] * s.w[1][b] * cw;
        grad[1] += s.w[0][a] * s.dw[1][b] * cw;
        grad[2] += wab * cdw;
      } else {
        (void)cw;
        (void)cdw;
      }
    }
  }
}

/// Signed wavenumber index in [-n/2, n/2) of array index i in [0, n).
COSMOGRAD_HOST_DEVICE inline int signed_mode(int i, int n) { return i < n / 2 ? i : i - n; }

/// sin(x)/x with the limit 1 at x = 0 (as sim/mesh/fourier.hpp).
COSMOGRAD_HOST_DEVICE inline double sinc_hd(double x) {
  return fabs(x) < 1e-8 ? 1.0 - x * x / 6.0 : sin(x) / x;
}

/// Mass-assignment window sinc(w/2)^p along one axis for integer mode m of an n mesh, p the
/// window order (as sim::window_1d).
COSMOGRAD_HOST_DEVICE inline double window_1d(int order, int m, int n) {
  const double w = 2.0 * 3.14159265358979323846 * m / n;
  return pow(sinc_hd(0.5 * w), order);
}

/// Effective wavenumber [h/Mpc] of the gradient along one axis for integer mode m of an n mesh
/// in a box of side `box` [Mpc/h]: exact (fd4 = false) i k with the Nyquist mode zeroed, or
/// FastPM's 4th-order finite difference (8 sin w - sin 2w) / (6 dx) (Feng et al. 2016), as
/// sim::gradient_k.
COSMOGRAD_HOST_DEVICE inline double gradient_k(bool fd4, int m, int n, double box) {
  const double pi = 3.14159265358979323846;
  const double dx = box / n;
  if (!fd4) return 2 * m == -n || 2 * m == n ? 0.0 : 2.0 * pi * m / box;
  const double w = 2.0 * pi * m / n;
  return (8.0 * sin(w) - sin(2.0 * w)) / (6.0 * dx);
}

/// Poisson factor s(k) of the PM force (FastPM, Feng et al. 2016; sim/pm/gravity.cpp):
/// s = poisson inv_w2x inv_w2y inv_w2z / |m|^2 with poisson = (3/2) Omega_m / (n^3 k_F^2), the
/// inv_w2 the per-axis deconvolution factors 1 / W^2 (or 1) and m2 the integer |m|^2 parts;
/// 0 at k = 0 (the mean density exerts no force).
COSMOGRAD_HOST_DEVICE inline double force_scale(double poisson, double m2x, double m2y, double m2z,
                                                double iwx, double iwy, double iwz) {
  const double mm = m2x + m2y + m2z;
  return mm == 0.0 ? 0.0 : poisson * (iwx * iwy) * iwz / mm;
}

/// One Fourier mode of the force component with gradient wavenumber g: acc_k = i g s rho_k
/// (sim/pm/gravity.cpp), rho_k = (re, im).
template <class T>
COSMOGRAD_HOST_DEVICE inline void force_mode(double g, double s, T re, T im, T* out_re, T* out_im) {
  const double factor = g * s;
  *out_re = static_cast<T>(-factor * static_cast<double>(im));
  *out_im = static_cast<T>(factor * static_cast<double>(re));
}

/// The transposed force kernel at one mode (sim/pm/gravity.cpp accelerations_vjp): lambda_k =
/// -i s sum_d g_d P_d(k) for the painted cotangents P_d = (re[d], im[d]).
template <class T>
COSMOGRAD_HOST_DEVICE inline void force_vjp_mode(const double* g, double s, const T* re,
                                                 const T* im, T* out_re, T* out_im) {
  double sr = 0, si = 0;
  for (int d = 0; d < 3; ++d) {
    sr += g[d] * static_cast<double>(re[d]);
    si += g[d] * static_cast<double>(im[d]);
  }
  *out_re = static_cast<T>(s * si);
  *out_im = static_cast<T>(-s * sr);
}

/// A stored Fourier mode of the half-complex layout for the LPT kernels (sim/pm/lpt.cpp's Mode).
struct LptMode {
  int m[3];             ///< integer wavenumber, m_x, m_y in [-n/2, n/2), m_z in [0, n/2]
  double k[3];          ///< k = 2 pi m / L [h/Mpc]
  double k2;            ///< |k|^2 [(h/Mpc)^2]
  double multiplicity;  ///< 1 on the kz = 0 and kz = n/2 planes, 2 elsewhere
};

/// The mode of array indices (x, y, z) of an n mesh with fundamental wavenumber kf [h/Mpc].
COSMOGRAD_HOST_DEVICE inline LptMode lpt_mode(int x, int y, int z, int n, double kf) {
  LptMode q;
  q.m[0] = signed_mode(x, n);
  q.m[1] = signed_mode(y, n);
  q.m[2] = z;
  for (int d = 0; d < 3; ++d) q.k[d] = kf * q.m[d];
  q.k2 = q.k[0] * q.k[0] + q.k[1] * q.k[1] + q.k[2] * q.k[2];
  q.multiplicity = z == 0 || 2 * z == n ? 1.0 : 2.0;
  return q;
}

/// Kernel k_i k_j / k^2 of d^2 phi / dx_i dx_j with laplacian(phi) = delta (real).
COSMOGRAD_HOST_DEVICE inline double hessian_kernel(const LptMode& q, int i, int j) {
  return q.k2 == 0 ? 0.0 : q.k[i] * q.k[j] / q.k2;
}

/// Imaginary part of the displacement kernel -sign i k_dim / k^2 (its real part is 0) of the
/// displacement whose divergence is sign * source (Zel'dovich 1970; Scoccimarro 1998).
COSMOGRAD_HOST_DEVICE inline double displacement_kernel_im(const LptMode& q, int dim, double sign) {
  return q.k2 == 0 ? 0.0 : -sign * q.k[dim] / q.k2;
}

/// True for a mode zeroed by sim::zero_nyquist_and_mean: a Nyquist plane (m_x or m_y = -n/2,
/// m_z = n/2) or k = 0.
COSMOGRAD_HOST_DEVICE inline bool nyquist_or_mean(const LptMode& q, int n) {
  const int h = n / 2;
  return q.m[0] == -h || q.m[1] == -h || q.m[2] == h || (q.m[0] == 0 && q.m[1] == 0 && q.m[2] == 0);
}

/// Integer |m|^2 of a mode (the index of the per-mode power table).
COSMOGRAD_HOST_DEVICE inline long mode_m2(const LptMode& q) {
  return static_cast<long>(q.m[0]) * q.m[0] + static_cast<long>(q.m[1]) * q.m[1] +
         static_cast<long>(q.m[2]) * q.m[2];
}

/// (re, im) times the complex number (kr, ki), in double (std::complex's product).
COSMOGRAD_HOST_DEVICE inline void complex_mul(double re, double im, double kr, double ki,
                                              double* out_re, double* out_im) {
  *out_re = re * kr - im * ki;
  *out_im = re * ki + im * kr;
}

}  // namespace cosmograd::sim::cuda
