// The CUDA backend's kernels behind plain C++ launchers (implemented in sim/pm/cuda/kernels.cu; no
// CUDA headers here). Every pointer argument is DEVICE memory. Meshes use the padded Field
// layout (real [x][y][z_padded], complex [x][y][z <= n/2]); particle arrays hold 3 values per
// particle in lattice order (particle j has lattice index j: one GPU, no migration). Each
// launcher mirrors one CPU operator (named in its comment) formula by formula, using the shared
// per-element functions of sim/pm/cuda/pm_math.hpp. Launches are asynchronous on the default
// stream and checked; T = float or double.
#pragma once

#include <cstddef>

#include "sim/core/philox.hpp"  // COSMOGRAD_HOST_DEVICE
#include "sim/mesh/white_noise.hpp"

namespace cosmograd::sim::cuda {

/// Where particles sit on a mesh: n_side^3 lattice particles, an n_mesh^3 mesh, box [Mpc/h].
struct ParticleMesh {
  int n_side = 0;                                    ///< particles per side
  int n_mesh = 0;                                    ///< mesh cells per side
  double box = 0;                                    ///< box side [Mpc/h]
  COSMOGRAD_HOST_DEVICE std::size_t count() const {  ///< number of particles
    return static_cast<std::size_t>(n_side) * n_side * n_side;
  }
  COSMOGRAD_HOST_DEVICE double inv_cell() const { return n_mesh / box; }  ///< cells per Mpc/h
  /// Cells per lattice spacing, as sim/mesh/painter.cpp computes it.
  COSMOGRAD_HOST_DEVICE double lattice_to_cells() const { return box / n_side * inv_cell(); }
};

/// Number of T values of the padded buffer of an n^3 mesh: 2 n^2 (n/2 + 1).
inline std::size_t padded_size(int n) { return 2 * static_cast<std::size_t>(n) * n * (n / 2 + 1); }

/// fill_white_noise(): white_noise_mode() of every mode of an n^3 mesh (complex layout).
template <class T>
void fill_white_noise(T* modes, int n, const NoiseOptions& o);

/// data[i] *= factor (in T) for i < count.
template <class T>
void scale(T* data, std::size_t count, T factor);

/// linear_modes_from_noise(): modes *= amplitude[|m|^2] (amplitude = sqrt(P/V), a device table
/// of 3 (n/2)^2 + 1 doubles), Nyquist planes and k = 0 zeroed.
template <class T>
void linear_modes(T* modes, int n, const double* amplitude);

/// zero_nyquist_and_mean() of sim/pm/lpt.hpp: the Nyquist planes and k = 0 of `modes` zeroed.
template <class T>
void zero_nyquist_and_mean(T* modes, int n);

/// The LPT Fourier filters of sim/pm/lpt.cpp (Zel'dovich 1970; Scoccimarro 1998).
enum class LptFilter {
  hessian,       ///< k_i k_j / k^2 (real)
  displacement,  ///< -sign i k_i / k^2
};

/// out_k = K in_k (filter_to_real's kernel step), or, with transpose, out_k += T(conj(K)
/// c_k in_k) (filter_to_real_vjp's kernel step and add_modes); i, j select the component(s)
/// (j unused for the displacement); box [Mpc/h]. in and out may alias when !transpose.
template <class T>
void lpt_filter(const T* in, T* out, int n, double box, LptFilter filter, int i, int j, double sign,
                bool transpose);

/// scaled_forward_fft_vjp()'s kernel step: modes *= scale / c_k (in double).
template <class T>
void scale_by_inverse_multiplicity(T* modes, int n, double scale);

/// add_to_particles(): disp[3 j + dim] += T(c_disp psi_j), mom[3 j + dim] += T(c_mom psi_j),
/// psi real on the n^3 particle grid.
template <class T>
void add_to_particles(const T* psi, int n, int dim, double c_disp, double c_mom, T* disp, T* mom);

/// add_to_particles_vjp(): adds sum_j disp_cot psi_j and sum_j mom_cot psi_j to sums[0], sums[1]
/// (device doubles), then overwrites psi_j with c_disp disp_cot + c_mom mom_cot (component dim).
template <class T>
void add_to_particles_vjp(T* psi, int n, int dim, double c_disp, double c_mom, const T* disp_cot,
                          const T* mom_cot, double* sums);

/// second_order_source()'s pointwise steps over `count` values: s = xx yy + (xx + yy) w.
template <class T>
void second_order_diagonal(T* s, const T* xx, const T* yy, const T* w, std::size_t count);
/// s -= w^2 (an off-diagonal Hessian term of the 2LPT source).
template <class T>
void subtract_square(T* s, const T* w, std::size_t count);
/// second_order_source_vjp()'s pointwise steps: w = g (dx - w) (diagonal, offdiag = false) or
/// w = -2 g w (off-diagonal).
template <class T>
void second_order_vjp_weight(T* w, const T* g, const T* dx, bool offdiag, std::size_t count);

/// lpt_vjp()'s per-|m|^2 sums: power_cot[|m|^2] += Re(conj(delta_k) g_k) over the modes.
template <class T>
void mode_power_cotangent(const T* delta, const T* g, int n, double* power_cot);

/// paint(): adds `mass` per particle with the order-`order` window (2 CIC, 3 TSC, 4 PCS) at
/// positions x + shift [cells] to `mesh` (atomicAdd; summation order not fixed).
template <class T>
void paint(T* mesh, const ParticleMesh& pm, const T* disp, int order, T mass, double shift);

/// paint3_weighted(): meshes[d] += sum_j weights[3 j + d] W(x_j + shift - cell).
template <class T>
void paint3_weighted(T* const meshes[3], const ParticleMesh& pm, const T* disp, int order,
                     const T* weights, double shift);

/// readout3(): out[3 j + d] = sum_cells W(x_j + shift - cell) meshes[d](cell).
template <class T>
void readout3(const T* const meshes[3], const ParticleMesh& pm, const T* disp, int order, T* out,
              double shift);

/// readout3_vjp_positions(): grad[3 j + d] += sum_m cot[3 j + m] sum_cells dW/dx_d meshes[m]
/// [per Mpc/h]; writes readout3() to `out` when not null; adds sum_j cot_j . out_j to *dot
/// (a device double) when not null.
template <class T>
void readout3_vjp_positions(const T* const meshes[3], const ParticleMesh& pm, const T* disp,
                            int order, const T* cot, T* grad, double shift, T* out, double* dot);

/// paint_vjp(): grad[3 j + d] += mass sum_cells dW(x_j + shift - cell)/dx_d cot(cell).
template <class T>
void paint_vjp(const T* cot, const ParticleMesh& pm, const T* disp, int order, T mass, T* grad,
               double shift);

/// Per-axis tables of the PM force (sim/pm/gravity.cpp's ForceKernel), device doubles of n each.
struct ForceTables {
  const double* m2 = nullptr;      ///< integer mode squared per array index
  const double* grad = nullptr;    ///< gradient wavenumber per array index [h/Mpc]
  const double* inv_w2 = nullptr;  ///< 1 / W_1d^2 (deconvolution) or 1
  double poisson = 0;              ///< (3/2) Omega_m / (n^3 k_F^2) [(Mpc/h)^2]
};

/// The force kernels of Gravity::force_meshes: from rho_k, out_x = K_x rho, out_y = K_y rho and
/// rho <- K_z rho in place (K_d = i g_d s).
template <class T>
void force_modes(T* rho, T* out_x, T* out_y, int n, const ForceTables& t);

/// The transposed kernels of Gravity::accelerations_vjp: p2 <- -i s sum_d g_d P_d (in place
/// over P_z).
template <class T>
void force_vjp_modes(const T* p0, const T* p1, T* p2, int n, const ForceTables& t);

/// kick(): mom[i] += T(factor) acc[i], i < count.
template <class T>
void kick(T* mom, const T* acc, double factor, std::size_t count);
/// drift(): disp[i] += T(factor) mom[i], i < count.
template <class T>
void drift(T* disp, const T* mom, double factor, std::size_t count);
/// axpby() of sim/pm/adjoint.cpp: out = T(ca) a + T(cb) b (out may alias a or b).
template <class T>
void axpby(double ca, const T* a, double cb, const T* b, T* out, std::size_t count);
/// Adds sum_i a_i b_i (in double) to *result (a device double).
template <class T>
void dot(const T* a, const T* b, std::size_t count, double* result);

}  // namespace cosmograd::sim::cuda
