// CUDA kernels of the PM engine (sim/pm/cuda/kernels.hpp). The per-element math is in
// sim/pm/cuda/pm_math.hpp, shared with the CPU-side checks.
#include <cuda_runtime_api.h>

#include <cstdint>
#include <type_traits>

#include "sim/core/check_cuda.hpp"
#include "sim/pm/cuda/device_memory.hpp"
#include "sim/pm/cuda/kernels.hpp"
#include "sim/pm/cuda/pm_math.hpp"

namespace cosmograd::sim::cuda {
namespace {

constexpr int kThreads = 256;

/// Blocks for a grid-stride loop over `count` items.
unsigned blocks_for(std::size_t count) {
  const std::size_t b = (count + kThreads - 1) / kThreads;
  const std::size_t cap = 65536;  // grid-stride beyond this
  return static_cast<unsigned>(b == 0 ? 1 : (b < cap ? b : cap));
}

__device__ inline std::size_t global_index() {
  return static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ inline std::size_t global_stride() {
  return static_cast<std::size_t>(gridDim.x) * blockDim.x;
}

/// Adds the block's sum of v to *target (every thread of the block must call it).
__device__ void block_sum_add(double v, double* target) {
  __shared__ double shared[kThreads];
  shared[threadIdx.x] = v;
  __syncthreads();
  for (unsigned s = kThreads / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) shared[threadIdx.x] += shared[threadIdx.x + s];
    __syncthreads();
  }
  if (threadIdx.x == 0 && shared[0] != 0.0) atomicAdd(target, shared[0]);
}

/// Indices (x, y, z) of complex element i of an n^3 mesh's complex layout.
__device__ inline void complex_coords(std::size_t i, int n, int* x, int* y, int* z) {
  const std::size_t nzc = static_cast<std::size_t>(n / 2 + 1);
  *z = static_cast<int>(i % nzc);
  const std::size_t row = i / nzc;
  *y = static_cast<int>(row % static_cast<std::size_t>(n));
  *x = static_cast<int>(row / static_cast<std::size_t>(n));
}

std::size_t complex_count(int n) { return static_cast<std::size_t>(n) * n * (n / 2 + 1); }

// ---- white noise and LPT ---------------------------------------------------------------

template <class T>
__global__ void white_noise_kernel(T* modes, int n, NoiseOptions o) {
  const std::size_t count = static_cast<std::size_t>(n) * n * (n / 2 + 1);
  for (std::size_t i = global_index(); i < count; i += global_stride()) {
    int x, y, z;
    complex_coords(i, n, &x, &y, &z);
    double re = 0, im = 0;
    white_noise_mode(o, n, signed_mode(x, n), signed_mode(y, n), z, &re, &im);
    modes[2 * i] = static_cast<T>(re);
    modes[2 * i + 1] = static_cast<T>(im);
  }
}

template <class T>
__global__ void scale_kernel(T* data, std::size_t count, T factor) {
  for (std::size_t i = global_index(); i < count; i += global_stride()) data[i] *= factor;
}

template <class T>
__global__ void linear_modes_kernel(T* modes, int n, const double* amplitude) {
  const std::size_t count = static_cast<std::size_t>(n) * n * (n / 2 + 1);
  for (std::size_t i = global_index(); i < count; i += global_stride()) {
    int x, y, z;
    complex_coords(i, n, &x, &y, &z);
    const LptMode q = lpt_mode(x, y, z, n, 1.0);
    if (nyquist_or_mean(q, n)) {
      modes[2 * i] = T(0);
      modes[2 * i + 1] = T(0);
      continue;
    }
    const double a = amplitude[mode_m2(q)];
    modes[2 * i] = static_cast<T>(static_cast<double>(modes[2 * i]) * a);
    modes[2 * i + 1] = static_cast<T>(static_cast<double>(modes[2 * i + 1]) * a);
  }
}

template <class T>
__global__ void zero_nyquist_and_mean_kernel(T* modes, int n) {
  const std::size_t count = static_cast<std::size_t>(n) * n * (n / 2 + 1);
  for (std::size_t i = global_index(); i < count; i += global_stride()) {
    int x, y, z;
    complex_coords(i, n, &x, &y, &z);
    if (nyquist_or_mean(lpt_mode(x, y, z, n, 1.0), n)) {
      modes[2 * i] = T(0);
      modes[2 * i + 1] = T(0);
    }
  }
}

template <class T>
__global__ void lpt_filter_kernel(const T* in, T* out, int n, double kf, LptFilter filter, int i0,
                                  int j0, double sign, bool transpose) {
  const std::size_t count = static_cast<std::size_t>(n) * n * (n / 2 + 1);
  for (std::size_t i = global_index(); i < count; i += global_stride()) {
    int x, y, z;
    complex_coords(i, n, &x, &y, &z);
    const LptMode q = lpt_mode(x, y, z, n, kf);
    double kr = 0, ki = 0;
    if (filter == LptFilter::hessian) {
      kr = hessian_kernel(q, i0, j0);
    } else {
      ki = displacement_kernel_im(q, i0, sign);
    }
    if (transpose) {  // conj(K) c_k
      kr *= q.multiplicity;
      ki = -ki * q.multiplicity;
    }
    double re, im;
    complex_mul(static_cast<double>(in[2 * i]), static_cast<double>(in[2 * i + 1]), kr, ki, &re,
                &im);
    if (transpose) {
      out[2 * i] += static_cast<T>(re);
      out[2 * i + 1] += static_cast<T>(im);
    } else {
      out[2 * i] = static_cast<T>(re);
      out[2 * i + 1] = static_cast<T>(im);
    }
  }
}

template <class T>
__global__ void inverse_multiplicity_kernel(T* modes, int n, double scale_factor) {
  const std::size_t count = static_cast<std::size_t>(n) * n * (n / 2 + 1);
  for (std::size_t i = global_index(); i < count; i += global_stride()) {
    const int z = static_cast<int>(i % static_cast<std::size_t>(n / 2 + 1));
    const double c = scale_factor / (z == 0 || 2 * z == n ? 1.0 : 2.0);
    modes[2 * i] = static_cast<T>(static_cast<double>(modes[2 * i]) * c);
    modes[2 * i + 1] = static_cast<T>(static_cast<double>(modes[2 * i + 1]) * c);
  }
}

/// Real-buffer offset of lattice particle j of an n^3 grid.
__device__ inline std::size_t grid_offset(std::size_t j, int n) {
  const std::size_t nn = static_cast<std::size_t>(n);
  const std::size_t z = j % nn, row = j / nn;
  return row * static_cast<std::size_t>(2 * (n / 2 + 1)) + z;
}

template <class T>
__global__ void add_to_particles_kernel(const T* psi, int n, int dim, double c_disp, double c_mom,
                                        T* disp, T* mom) {
  const std::size_t count = static_cast<std::size_t>(n) * n * n;
  for (std::size_t j = global_index(); j < count; j += global_stride()) {
    const double v = static_cast<double>(psi[grid_offset(j, n)]);
    disp[3 * j + dim] += static_cast<T>(c_disp * v);
    mom[3 * j + dim] += static_cast<T>(c_mom * v);
  }
}

template <class T>
__global__ void add_to_particles_vjp_kernel(T* psi, int n, int dim, double c_disp, double c_mom,
                                            const T* disp_cot, const T* mom_cot, double* sums) {
  const std::size_t count = static_cast<std::size_t>(n) * n * n;
  double sd = 0, sm = 0;
  for (std::size_t j = global_index(); j < count; j += global_stride()) {
    const std::size_t o = grid_offset(j, n);
    const double gd = static_cast<double>(disp_cot[3 * j + dim]);
    const double gm = static_cast<double>(mom_cot[3 * j + dim]);
    const double v = static_cast<double>(psi[o]);
    sd += gd * v;
    sm += gm * v;
    psi[o] = static_cast<T>(c_disp * gd + c_mom * gm);
  }
  block_sum_add(sd, sums);
  block_sum_add(sm, sums + 1);
}

template <class T>
__global__ void second_order_diagonal_kernel(T* s, const T* xx, const T* yy, const T* w,
                                             std::size_t count) {
  for (std::size_t i = global_index(); i < count; i += global_stride()) {
    s[i] = xx[i] * yy[i] + (xx[i] + yy[i]) * w[i];
  }
}

template <class T>
__global__ void subtract_square_kernel(T* s, const T* w, std::size_t count) {
  for (std::size_t i = global_index(); i < count; i += global_stride()) s[i] -= w[i] * w[i];
}

template <class T>
__global__ void second_order_vjp_kernel(T* w, const T* g, const T* dx, bool offdiag,
                                        std::size_t count) {
  for (std::size_t i = global_index(); i < count; i += global_stride()) {
    w[i] = offdiag ? T(-2) * g[i] * w[i] : g[i] * (dx[i] - w[i]);
  }
}

template <class T>
__global__ void mode_power_kernel(const T* delta, const T* g, int n, double* power_cot) {
  const std::size_t count = static_cast<std::size_t>(n) * n * (n / 2 + 1);
  for (std::size_t i = global_index(); i < count; i += global_stride()) {
    int x, y, z;
    complex_coords(i, n, &x, &y, &z);
    const double v = static_cast<double>(delta[2 * i]) * static_cast<double>(g[2 * i]) +
                     static_cast<double>(delta[2 * i + 1]) * static_cast<double>(g[2 * i + 1]);
    if (v != 0.0) atomicAdd(power_cot + mode_m2(lpt_mode(x, y, z, n, 1.0)), v);
  }
}

// ---- paint and readout -----------------------------------------------------------------

template <class T>
struct Meshes3 {
  T* m[3];
};

/// atomicAdd as scatter_point's adder.
struct AtomicAdder {
  template <class T>
  __device__ void operator()(T* p, T v) const {
    atomicAdd(p, v);
  }
};

template <int P, int M, class T>
__global__ void paint_kernel(Meshes3<T> meshes, ParticleMesh pm, const T* disp, const T* weights,
                             T mass, double shift) {
  const std::size_t np = pm.count();
  const double l2c = pm.lattice_to_cells(), inv_cell = pm.inv_cell();
  for (std::size_t j = global_index(); j < np; j += global_stride()) {
    double u[3];
    lattice_position(j, pm.n_side, l2c, inv_cell, disp + 3 * j, shift, u);
    T m[M];
    for (int c = 0; c < M; ++c) m[c] = weights == nullptr ? mass : weights[3 * j + c];
    scatter_point<P, M>(meshes.m, pm.n_mesh, u, m, AtomicAdder());
  }
}

/// sim/mesh/painter.cpp's readout_vjp_impl / readout_impl: M meshes at each particle; with Deriv,
/// grad += to_mpc d(sum_m cot_m out_m)/du; cot from `cot` (3 per particle) or the constant
/// `cot_const`; out written when not null; *dot += sum cot . out when dot is not null.
template <int P, int M, bool Deriv, class T>
__global__ void gather_kernel(Meshes3<T> meshes, ParticleMesh pm, const T* disp, const T* cot,
                              T cot_const, T* out, T* grad, double shift, double* dot) {
  const std::size_t np = pm.count();
  const double l2c = pm.lattice_to_cells(), inv_cell = pm.inv_cell();
  const T to_mpc = static_cast<T>(inv_cell);
  double sum = 0;
  for (std::size_t j = global_index(); j < np; j += global_stride()) {
    double u[3];
    lattice_position(j, pm.n_side, l2c, inv_cell, disp + 3 * j, shift, u);
    T c[M], v[M], g[3];
    for (int m = 0; m < M; ++m) c[m] = cot == nullptr ? cot_const : cot[3 * j + m];
    gather_point<P, M, Deriv>(meshes.m, pm.n_mesh, u, v, c, g);
    if constexpr (Deriv) {
      for (int d = 0; d < 3; ++d) grad[3 * j + d] += to_mpc * g[d];
    }
    for (int m = 0; m < M; ++m) {
      sum += static_cast<double>(c[m]) * v[m];
      if (out != nullptr) out[3 * j + m] = v[m];
    }
  }
  if (dot != nullptr) block_sum_add(sum, dot);
}

/// Calls f(std::integral_constant<int, P>) for window order P (sim::with_support).
template <class F>
void dispatch_order(int order, F f) {
  if (!sim::with_support(order, f)) {
    call_failed("cosmograd CUDA", "paint/readout dispatch", order, "window order must be 2-6");
  }
}

// ---- force -------------------------------------------------------------------------------

template <class T>
__global__ void force_modes_kernel(T* rho, T* out_x, T* out_y, int n, ForceTables t) {
  const std::size_t count = static_cast<std::size_t>(n) * n * (n / 2 + 1);
  for (std::size_t i = global_index(); i < count; i += global_stride()) {
    int x, y, z;
    complex_coords(i, n, &x, &y, &z);
    const double s =
        force_scale(t.poisson, t.m2[x], t.m2[y], t.m2[z], t.inv_w2[x], t.inv_w2[y], t.inv_w2[z]);
    const T re = rho[2 * i], im = rho[2 * i + 1];
    force_mode(t.grad[x], s, re, im, out_x + 2 * i, out_x + 2 * i + 1);
    force_mode(t.grad[y], s, re, im, out_y + 2 * i, out_y + 2 * i + 1);
    force_mode(t.grad[z], s, re, im, rho + 2 * i, rho + 2 * i + 1);
  }
}

template <class T>
__global__ void force_vjp_modes_kernel(const T* p0, const T* p1, T* p2, int n, ForceTables t) {
  const std::size_t count = static_cast<std::size_t>(n) * n * (n / 2 + 1);
  for (std::size_t i = global_index(); i < count; i += global_stride()) {
    int x, y, z;
    complex_coords(i, n, &x, &y, &z);
    const double s =
        force_scale(t.poisson, t.m2[x], t.m2[y], t.m2[z], t.inv_w2[x], t.inv_w2[y], t.inv_w2[z]);
    const double g[3] = {t.grad[x], t.grad[y], t.grad[z]};
    const T re[3] = {p0[2 * i], p1[2 * i], p2[2 * i]};
    const T im[3] = {p0[2 * i + 1], p1[2 * i + 1], p2[2 * i + 1]};
    force_vjp_mode(g, s, re, im, p2 + 2 * i, p2 + 2 * i + 1);
  }
}

// ---- integrator --------------------------------------------------------------------------

template <class T>
__global__ void axpy_kernel(T* y, const T* x, T f, std::size_t count) {
  for (std::size_t i = global_index(); i < count; i += global_stride()) y[i] += f * x[i];
}

template <class T>
__global__ void axpby_kernel(T fa, const T* a, T fb, const T* b, T* out, std::size_t count) {
  for (std::size_t i = global_index(); i < count; i += global_stride()) {
    out[i] = fa * a[i] + fb * b[i];
  }
}

template <class T>
__global__ void dot_kernel(const T* a, const T* b, std::size_t count, double* result) {
  double s = 0;
  for (std::size_t i = global_index(); i < count; i += global_stride()) {
    s += static_cast<double>(a[i]) * static_cast<double>(b[i]);
  }
  block_sum_add(s, result);
}

}  // namespace

// ---- launchers ---------------------------------------------------------------------------

template <class T>
void fill_white_noise(T* modes, int n, const NoiseOptions& o) {
  white_noise_kernel<<<blocks_for(complex_count(n)), kThreads>>>(modes, n, o);
  check_launch("white_noise_kernel");
}

template <class T>
void scale(T* data, std::size_t count, T factor) {
  scale_kernel<<<blocks_for(count), kThreads>>>(data, count, factor);
  check_launch("scale_kernel");
}

template <class T>
void linear_modes(T* modes, int n, const double* amplitude) {
  linear_modes_kernel<<<blocks_for(complex_count(n)), kThreads>>>(modes, n, amplitude);
  check_launch("linear_modes_kernel");
}

template <class T>
void zero_nyquist_and_mean(T* modes, int n) {
  zero_nyquist_and_mean_kernel<<<blocks_for(complex_count(n)), kThreads>>>(modes, n);
  check_launch("zero_nyquist_and_mean_kernel");
}

template <class T>
void lpt_filter(const T* in, T* out, int n, double box, LptFilter filter, int i, int j, double sign,
                bool transpose) {
  const double kf = 2.0 * M_PI / box;
  lpt_filter_kernel<<<blocks_for(complex_count(n)), kThreads>>>(in, out, n, kf, filter, i, j, sign,
                                                                transpose);
  check_launch("lpt_filter_kernel");
}

template <class T>
void scale_by_inverse_multiplicity(T* modes, int n, double scale_factor) {
  inverse_multiplicity_kernel<<<blocks_for(complex_count(n)), kThreads>>>(modes, n, scale_factor);
  check_launch("inverse_multiplicity_kernel");
}

template <class T>
void add_to_particles(const T* psi, int n, int dim, double c_disp, double c_mom, T* disp, T* mom) {
  const std::size_t count = static_cast<std::size_t>(n) * n * n;
  add_to_particles_kernel<<<blocks_for(count), kThreads>>>(psi, n, dim, c_disp, c_mom, disp, mom);
  check_launch("add_to_particles_kernel");
}

template <class T>
void add_to_particles_vjp(T* psi, int n, int dim, double c_disp, double c_mom, const T* disp_cot,
                          const T* mom_cot, double* sums) {
  const std::size_t count = static_cast<std::size_t>(n) * n * n;
  add_to_particles_vjp_kernel<<<blocks_for(count), kThreads>>>(psi, n, dim, c_disp, c_mom, disp_cot,
                                                               mom_cot, sums);
  check_launch("add_to_particles_vjp_kernel");
}

template <class T>
void second_order_diagonal(T* s, const T* xx, const T* yy, const T* w, std::size_t count) {
  second_order_diagonal_kernel<<<blocks_for(count), kThreads>>>(s, xx, yy, w, count);
  check_launch("second_order_diagonal_kernel");
}

template <class T>
void subtract_square(T* s, const T* w, std::size_t count) {
  subtract_square_kernel<<<blocks_for(count), kThreads>>>(s, w, count);
  check_launch("subtract_square_kernel");
}

template <class T>
void second_order_vjp_weight(T* w, const T* g, const T* dx, bool offdiag, std::size_t count) {
  second_order_vjp_kernel<<<blocks_for(count), kThreads>>>(w, g, dx, offdiag, count);
  check_launch("second_order_vjp_kernel");
}

template <class T>
void mode_power_cotangent(const T* delta, const T* g, int n, double* power_cot) {
  mode_power_kernel<<<blocks_for(complex_count(n)), kThreads>>>(delta, g, n, power_cot);
  check_launch("mode_power_kernel");
}

template <class T>
void paint(T* mesh, const ParticleMesh& pm, const T* disp, int order, T mass, double shift) {
  const Meshes3<T> m{{mesh, mesh, mesh}};
  dispatch_order(order, [&](auto p) {
    paint_kernel<decltype(p)::value, 1, T>
        <<<blocks_for(pm.count()), kThreads>>>(m, pm, disp, nullptr, mass, shift);
  });
  check_launch("paint_kernel");
}

template <class T>
void paint3_weighted(T* const meshes[3], const ParticleMesh& pm, const T* disp, int order,
                     const T* weights, double shift) {
  const Meshes3<T> m{{meshes[0], meshes[1], meshes[2]}};
  dispatch_order(order, [&](auto p) {
    paint_kernel<decltype(p)::value, 3, T>
        <<<blocks_for(pm.count()), kThreads>>>(m, pm, disp, weights, T(0), shift);
  });
  check_launch("paint_kernel (3 weighted)");
}

template <class T>
void readout3(const T* const meshes[3], const ParticleMesh& pm, const T* disp, int order, T* out,
              double shift) {
  const Meshes3<T> m{
      {const_cast<T*>(meshes[0]), const_cast<T*>(meshes[1]), const_cast<T*>(meshes[2])}};
  dispatch_order(order, [&](auto p) {
    gather_kernel<decltype(p)::value, 3, false, T><<<blocks_for(pm.count()), kThreads>>>(
        m, pm, disp, nullptr, T(0), out, nullptr, shift, nullptr);
  });
  check_launch("gather_kernel (readout3)");
}

template <class T>
void readout3_vjp_positions(const T* const meshes[3], const ParticleMesh& pm, const T* disp,
                            int order, const T* cot, T* grad, double shift, T* out, double* dot) {
  const Meshes3<T> m{
      {const_cast<T*>(meshes[0]), const_cast<T*>(meshes[1]), const_cast<T*>(meshes[2])}};
  dispatch_order(order, [&](auto p) {
    gather_kernel<decltype(p)::value, 3, true, T>
        <<<blocks_for(pm.count()), kThreads>>>(m, pm, disp, cot, T(0), out, grad, shift, dot);
  });
  check_launch("gather_kernel (readout3_vjp_positions)");
}

template <class T>
void paint_vjp(const T* cot, const ParticleMesh& pm, const T* disp, int order, T mass, T* grad,
               double shift) {
  const Meshes3<T> m{{const_cast<T*>(cot), const_cast<T*>(cot), const_cast<T*>(cot)}};
  dispatch_order(order, [&](auto p) {
    gather_kernel<decltype(p)::value, 1, true, T><<<blocks_for(pm.count()), kThreads>>>(
        m, pm, disp, nullptr, mass, nullptr, grad, shift, nullptr);
  });
  check_launch("gather_kernel (paint_vjp)");
}

template <class T>
void force_modes(T* rho, T* out_x, T* out_y, int n, const ForceTables& t) {
  force_modes_kernel<<<blocks_for(complex_count(n)), kThreads>>>(rho, out_x, out_y, n, t);
  check_launch("force_modes_kernel");
}

template <class T>
void force_vjp_modes(const T* p0, const T* p1, T* p2, int n, const ForceTables& t) {
  force_vjp_modes_kernel<<<blocks_for(complex_count(n)), kThreads>>>(p0, p1, p2, n, t);
  check_launch("force_vjp_modes_kernel");
}

template <class T>
void kick(T* mom, const T* acc, double factor, std::size_t count) {
  axpy_kernel<<<blocks_for(count), kThreads>>>(mom, acc, static_cast<T>(factor), count);
  check_launch("axpy_kernel (kick)");
}

template <class T>
void drift(T* disp, const T* mom, double factor, std::size_t count) {
  axpy_kernel<<<blocks_for(count), kThreads>>>(disp, mom, static_cast<T>(factor), count);
  check_launch("axpy_kernel (drift)");
}

template <class T>
void axpby(double ca, const T* a, double cb, const T* b, T* out, std::size_t count) {
  axpby_kernel<<<blocks_for(count), kThreads>>>(static_cast<T>(ca), a, static_cast<T>(cb), b, out,
                                                count);
  check_launch("axpby_kernel");
}

template <class T>
void dot(const T* a, const T* b, std::size_t count, double* result) {
  dot_kernel<<<blocks_for(count), kThreads>>>(a, b, count, result);
  check_launch("dot_kernel");
}

#define COSMOGRAD_INSTANTIATE(T)                                                                 \
  template void fill_white_noise<T>(T*, int, const NoiseOptions&);                               \
  template void scale<T>(T*, std::size_t, T);                                                    \
  template void linear_modes<T>(T*, int, const double*);                                         \
  template void zero_nyquist_and_mean<T>(T*, int);                                               \
  template void lpt_filter<T>(const T*, T*, int, double, LptFilter, int, int, double, bool);     \
  template void scale_by_inverse_multiplicity<T>(T*, int, double);                               \
  template void add_to_particles<T>(const T*, int, int, double, double, T*, T*);                 \
  template void add_to_particles_vjp<T>(T*, int, int, double, double, const T*, const T*,        \
                                        double*);                                                \
  template void second_order_diagonal<T>(T*, const T*, const T*, const T*, std::size_t);         \
  template void subtract_square<T>(T*, const T*, std::size_t);                                   \
  template void second_order_vjp_weight<T>(T*, const T*, const T*, bool, std::size_t);           \
  template void mode_power_cotangent<T>(const T*, const T*, int, double*);                       \
  template void paint<T>(T*, const ParticleMesh&, const T*, int, T, double);                     \
  template void paint3_weighted<T>(T* const[3], const ParticleMesh&, const T*, int, const T*,    \
                                   double);                                                      \
  template void readout3<T>(const T* const[3], const ParticleMesh&, const T*, int, T*, double);  \
  template void readout3_vjp_positions<T>(const T* const[3], const ParticleMesh&, const T*, int, \
                                          const T*, T*, double, T*, double*);                    \
  template void paint_vjp<T>(const T*, const ParticleMesh&, const T*, int, T, T*, double);       \
  template void force_modes<T>(T*, T*, T*, int, const ForceTables&);                             \
  template void force_vjp_modes<T>(const T*, const T*, T*, int, const ForceTables&);             \
  template void kick<T>(T*, const T*, double, std::size_t);                                      \
  template void drift<T>(T*, const T*, double, std::size_t);                                     \
  template void axpby<T>(double, const T*, double, const T*, T*, std::size_t);                   \
  template void dot<T>(const T*, const T*, std::size_t, double*);
COSMOGRAD_INSTANTIATE(float)
COSMOGRAD_INSTANTIATE(double)
#undef COSMOGRAD_INSTANTIATE

}  // namespace cosmograd::sim::cuda
