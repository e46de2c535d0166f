#include "sim/mesh/painter.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/mesh/window_weights.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace cosmograd::sim {
namespace {

/// OpenMP's thread budget (1 without OpenMP).
inline int max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/// This thread's index in the current parallel region (0 without OpenMP).
inline int thread_index() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

/// The order-P window of one point along the three axes: periodic indices, weights and,
/// with Deriv, the weights' derivatives [per cell].
template <int P, bool Deriv, class T>
struct Stencil {
  int idx[3][P];
  T w[3][P];
  T dw[3][Deriv ? P : 1];
  Stencil(const double* u, int n) {
    for (int a = 0; a < 3; ++a) {
      wrapped_indices<P>(axis_weights<P, Deriv>(u[a], w[a], dw[a]), n, idx[a]);
    }
  }
};

/// Positions in cell units of particles on a lattice: u = (q + disp) n_mesh / L + shift.
/// No wrapping is needed: the window indices are wrapped.
template <class T>
struct LatticePositions {
  const Particles<T>& p;
  double inv_cell;
  double lattice_to_cells;  // n_mesh / n_side

  LatticePositions(const Particles<T>& particles, double mesh_inv_cell)
      : p(particles),
        inv_cell(mesh_inv_cell),
        lattice_to_cells(particles.box_size / particles.n_side * mesh_inv_cell),
        n_(static_cast<std::uint64_t>(particles.n_side)),
        inv_n_(1.0 / particles.n_side) {}
  std::size_t size() const { return p.size(); }
  void operator()(std::size_t j, double shift, double* u) const {
    // id = (ix n + iy) n + iz, split without integer division (exact for id < 2^52).
    const std::uint64_t id = p.id[j];
    const std::uint64_t q1 = quotient(id), iz = id - q1 * n_;
    const std::uint64_t ix = quotient(q1), iy = q1 - ix * n_;
    const std::uint64_t c[3] = {ix, iy, iz};
    for (int d = 0; d < 3; ++d) {
      u[d] = static_cast<double>(c[d]) * lattice_to_cells +
             static_cast<double>(p.disp[3 * j + d]) * inv_cell + shift;
    }
  }

 private:
  /// floor(v / n) by a floating-point estimate and one integer correction.
  std::uint64_t quotient(std::uint64_t v) const {
    std::uint64_t q = static_cast<std::uint64_t>(static_cast<double>(v) * inv_n_);
    if (q * n_ > v) {
      --q;
    } else if ((q + 1) * n_ <= v) {
      ++q;
    }
    return q;
  }
  std::uint64_t n_;
  double inv_n_;
};

/// Positions in cell units of points given as x, y, z triplets [Mpc/h].
template <class T>
struct ArrayPositions {
  const std::vector<T>& x;
  double inv_cell;
  std::size_t size() const { return x.size() / 3; }
  void operator()(std::size_t j, double shift, double* u) const {
    for (int d = 0; d < 3; ++d) u[d] = static_cast<double>(x[3 * j + d]) * inv_cell + shift;
  }
};

/// Adds mass[m] to meshes[m] (same layout) at cell coordinates u with the order-P window;
/// returns the number of window planes this rank does not hold (skipped).
template <int P, int M, class T>
inline int scatter(Field<T>* const* meshes, const double* u, const T* mass) {
  const Decomposition& d = meshes[0]->decomp();
  const Stencil<P, false, T> s(u, d.n());
  const std::size_t nzp = static_cast<std::size_t>(d.nz_padded());
  int missing = 0;
  for (int a = 0; a < P; ++a) {
    const int xl = d.local_plane(s.idx[0][a]);  // slab or ghost plane
    if (xl == Decomposition::kNotHeld) {
      ++missing;
      continue;
    }
    T* planes[M];
    for (int m = 0; m < M; ++m) planes[m] = meshes[m]->plane(xl);
    for (int b = 0; b < P; ++b) {
      const std::size_t row = static_cast<std::size_t>(s.idx[1][b]) * nzp;
      for (int m = 0; m < M; ++m) {
        T* r = planes[m] + row;
        const T mab = mass[m] * s.w[0][a] * s.w[1][b];
        for (int c = 0; c < P; ++c) r[s.idx[2][c]] += mab * s.w[2][c];
      }
    }
  }
  return missing;
}

/// Interpolates M meshes (same layout) at cell coordinates u with the order-P window:
/// out[m] = sum_cells W mesh_m(cell). With Deriv it also returns the gradient of
/// sum_m cot[m] out[m] with respect to u: grad[d] = sum_m cot[m] sum_cells dW/du_d mesh_m
/// [per cell]; out is computed by the same operations either way (bitwise equal). Returns
/// the number of window planes this rank does not hold (skipped).
template <int P, int M, bool Deriv, class T>
inline int gather(const Field<T>* const* meshes, const double* u, T* out, const T* cot = nullptr,
                  T* grad = nullptr) {
  const Decomposition& d = meshes[0]->decomp();
  const Stencil<P, Deriv, T> s(u, d.n());
  for (int m = 0; m < M; ++m) out[m] = 0;
  if constexpr (Deriv) grad[0] = grad[1] = grad[2] = 0;
  const std::size_t nzp = static_cast<std::size_t>(d.nz_padded());
  int missing = 0;
  for (int a = 0; a < P; ++a) {
    const int xl = d.local_plane(s.idx[0][a]);  // slab or ghost plane
    if (xl == Decomposition::kNotHeld) {
      ++missing;
      continue;
    }
    const T* planes[M];
    for (int m = 0; m < M; ++m) planes[m] = meshes[m]->plane(xl);
    for (int b = 0; b < P; ++b) {
      const std::size_t row = static_cast<std::size_t>(s.idx[1][b]) * nzp;
      const T wab = s.w[0][a] * s.w[1][b];
      // sum_m cot[m] times the z sums with the weights and with their derivatives
      [[maybe_unused]] T cw = 0, cdw = 0;
      for (int m = 0; m < M; ++m) {
        const T* r = planes[m] + row;
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
      }
    }
  }
  return missing;
}

/// Throws std::logic_error when `missing` window planes fell outside this rank's slab and
/// ghosts (distributed meshes: particles not migrated to this slab, or too few ghost
/// planes), instead of dropping their share silently.
inline void require_held_planes(std::size_t missing, const char* who) {
  if (missing > 0) {
    throw std::logic_error(std::string(who) + ": " + std::to_string(missing) +
                           " window planes lie outside this rank's slab and ghosts (migrate the "
                           "particles for this mesh; ghosts from with_paint_ghosts)");
  }
}

/// Paints M meshes (same layout) with the masses weights(j, m) fills for particle j
/// (m: M values). Deterministic and race-free: see paint().
template <int P, int M, class T, class Positions, class Weights>
void paint_impl(Field<T>* const* meshes, const Positions& pos, const Weights& weights,
                double shift) {
  const int n = meshes[0]->n();
  const std::size_t np = pos.size();
  constexpr int kChunkWidth = paint_chunk_width(P);
  const int nchunks = std::max(1, n / kChunkWidth);
  // Bucket particles by the chunk of their first touched x plane (stable counting sort),
  // so that each chunk is painted by one thread in particle order.
  std::vector<int> chunk_of(np);
#pragma omp parallel for schedule(static)
  for (std::size_t j = 0; j < np; ++j) {
    double u[3];
    pos(j, shift, u);
    T w[P];
    int idx[P];
    wrapped_indices<P>(axis_weights<P, false>(u[0], w, w), n, idx);
    chunk_of[j] = std::min(idx[0] / kChunkWidth, nchunks - 1);
  }
  // Stable counting sort, parallel over contiguous particle ranges: the same order as a
  // serial stable sort whatever the thread count.
  const int nthreads = max_threads();
  std::vector<std::size_t> counts(static_cast<std::size_t>(nthreads) * nchunks, 0);
  std::vector<std::size_t> start(static_cast<std::size_t>(nchunks) + 1, 0);
  std::vector<std::size_t> order(np);
#pragma omp parallel num_threads(nthreads)
  {
    const int t = thread_index();
    const std::size_t lo = np * t / nthreads, hi = np * (t + 1) / nthreads;
    std::size_t* mine = counts.data() + static_cast<std::size_t>(t) * nchunks;
    for (std::size_t j = lo; j < hi; ++j) ++mine[chunk_of[j]];
#pragma omp barrier
#pragma omp single
    {
      std::size_t offset = 0;
      for (int c = 0; c < nchunks; ++c) {
        start[c] = offset;
        for (int tt = 0; tt < nthreads; ++tt) {
          std::size_t& cnt = counts[static_cast<std::size_t>(tt) * nchunks + c];
          const std::size_t here = cnt;
          cnt = offset;  // becomes this thread's next slot in chunk c
          offset += here;
        }
      }
      start[nchunks] = offset;
    }
    for (std::size_t j = lo; j < hi; ++j) order[mine[chunk_of[j]]++] = j;
  }
  // Returns the window planes of chunk c's particles that this rank does not hold.
  auto paint_chunk = [&](int c) {
    std::size_t missing = 0;
    for (std::size_t s = start[c]; s < start[c + 1]; ++s) {
      double u[3];
      pos(order[s], shift, u);
      T m[M];
      weights(order[s], m);
      missing += scatter<P, M>(meshes, u, m);
    }
    return missing;
  };
  std::size_t missing = 0;
  if (nchunks < 2) {
    missing = paint_chunk(0);
  } else {
    // Chunks of one colour write disjoint planes. With an odd count the last chunk would
    // touch chunk 0 through the periodic wrap, so it is painted alone at the end.
    const int paired = nchunks % 2 == 0 ? nchunks : nchunks - 1;
    for (int colour = 0; colour < 2; ++colour) {
#pragma omp parallel for schedule(dynamic, 1) reduction(+ : missing)
      for (int c = colour; c < paired; c += 2) missing += paint_chunk(c);
    }
    if (paired != nchunks) missing += paint_chunk(nchunks - 1);
  }
  require_held_planes(missing, "paint");
}

template <int P, int M, class T, class Positions>
void readout_impl(const Field<T>* const* meshes, const Positions& pos, T* out, std::size_t stride,
                  double shift) {
  const std::size_t np = pos.size();
  std::size_t missing = 0;
#pragma omp parallel for schedule(static) reduction(+ : missing)
  for (std::size_t j = 0; j < np; ++j) {
    double u[3];
    pos(j, shift, u);
    missing += gather<P, M, false>(meshes, u, out + stride * j);
  }
  require_held_planes(missing, "readout");
}

/// Particles per block of the fixed-order reduction in readout_vjp_impl.
constexpr std::size_t kReduceBlock = 1024;

/// Adds to grad[3 j + d] [per Mpc/h] the position derivative of sum_m cot_j[m] out_j[m],
/// out_j the readout of M meshes and cot_j what cot(j, c) fills; writes out_j to
/// out[stride j + m] when out is not null. Returns sum_j cot_j . out_j, summed in double
/// in blocks of fixed size, so the value does not depend on the thread count.
template <int P, int M, class T, class Positions, class Cot>
double readout_vjp_impl(const Field<T>* const* meshes, const Positions& pos, const Cot& cot,
                        T* grad, T* out, std::size_t stride, double shift) {
  const std::size_t np = pos.size();
  const std::size_t nblocks = (np + kReduceBlock - 1) / kReduceBlock;
  const T to_mpc = static_cast<T>(pos.inv_cell);  // d u / d x [cells per Mpc/h]
  std::vector<double> partial(nblocks, 0.0);
  std::size_t missing = 0;
#pragma omp parallel for schedule(static) reduction(+ : missing)
  for (std::size_t blk = 0; blk < nblocks; ++blk) {
    double sum = 0;
    const std::size_t end = std::min(np, (blk + 1) * kReduceBlock);
    for (std::size_t j = blk * kReduceBlock; j < end; ++j) {
      double u[3];
      pos(j, shift, u);
      T c[M], v[M], g[3];
      cot(j, c);
      missing += gather<P, M, true>(meshes, u, v, c, g);
      for (int d = 0; d < 3; ++d) grad[3 * j + d] += to_mpc * g[d];
      for (int m = 0; m < M; ++m) {
        sum += static_cast<double>(c[m]) * v[m];
        if (out != nullptr) out[stride * j + m] = v[m];
      }
    }
    partial[blk] = sum;
  }
  require_held_planes(missing, "readout vjp");
  double total = 0;
  for (double s : partial) total += s;
  return total;
}

/// Calls f(std::integral_constant<int, P>) for the support P of window k.
template <class F>
void dispatch_order(PaintKernel k, F f) {
  if (!with_support(paint_order(k), f)) {
    throw std::invalid_argument(std::string("painter: no weights for window ") +
                                paint_kernel_name(k) + " of support " +
                                std::to_string(paint_order(k)));
  }
}

}  // namespace

template <class T>
void paint(Field<T>& mesh, const Particles<T>& particles, double box_size, PaintKernel kernel,
           T mass, double shift) {
  paint_weighted(mesh, particles, box_size, kernel, &mass, 0, shift);
}

template <class T>
void paint_weighted(Field<T>& mesh, const Particles<T>& particles, double box_size,
                    PaintKernel kernel, const T* weights, std::size_t stride, double shift) {
  const LatticePositions<T> pos(particles, mesh.n() / box_size);
  Field<T>* meshes[1] = {&mesh};
  const auto weight = [&](std::size_t j, T* m) { m[0] = weights[stride * j]; };
  dispatch_order(kernel,
                 [&](auto p) { paint_impl<decltype(p)::value, 1>(meshes, pos, weight, shift); });
}

template <class T>
void paint3_weighted(Field<T>* const meshes[3], const Particles<T>& particles, double box_size,
                     PaintKernel kernel, const T* weights, double shift) {
  const LatticePositions<T> pos(particles, meshes[0]->n() / box_size);
  const auto weight = [&](std::size_t j, T* m) {
    for (int d = 0; d < 3; ++d) m[d] = weights[3 * j + d];
  };
  dispatch_order(kernel,
                 [&](auto p) { paint_impl<decltype(p)::value, 3>(meshes, pos, weight, shift); });
}

template <class T>
void paint_vjp(const Field<T>& cot, const Particles<T>& particles, double box_size,
               PaintKernel kernel, T mass, T* grad, double shift) {
  // d/dx_j <cot, paint> = mass sum_cells dW(x_j - cell)/dx_j cot(cell): the position
  // derivative of a readout of cot with cotangent `mass` (pmwd, Li et al. 2022).
  const LatticePositions<T> pos(particles, cot.n() / box_size);
  const Field<T>* meshes[1] = {&cot};
  const auto mass_of = [&](std::size_t, T* c) { c[0] = mass; };
  dispatch_order(kernel, [&](auto p) {
    readout_vjp_impl<decltype(p)::value, 1>(meshes, pos, mass_of, grad, static_cast<T*>(nullptr), 1,
                                            shift);
  });
}

template <class T>
void paint(Field<T>& mesh, const std::vector<T>& positions, double box_size, PaintKernel kernel,
           T mass, double shift) {
  const ArrayPositions<T> pos{positions, mesh.n() / box_size};
  Field<T>* meshes[1] = {&mesh};
  const auto weight = [&](std::size_t, T* m) { m[0] = mass; };
  dispatch_order(kernel,
                 [&](auto p) { paint_impl<decltype(p)::value, 1>(meshes, pos, weight, shift); });
}

template <class T>
void readout(const Field<T>& mesh, const Particles<T>& particles, double box_size,
             PaintKernel kernel, T* out, std::size_t stride, double shift) {
  const LatticePositions<T> pos(particles, mesh.n() / box_size);
  const Field<T>* meshes[1] = {&mesh};
  dispatch_order(kernel, [&](auto p) {
    readout_impl<decltype(p)::value, 1>(meshes, pos, out, stride, shift);
  });
}

template <class T>
void readout3(const Field<T>* const meshes[3], const Particles<T>& particles, double box_size,
              PaintKernel kernel, T* out, double shift) {
  const LatticePositions<T> pos(particles, meshes[0]->n() / box_size);
  dispatch_order(kernel,
                 [&](auto p) { readout_impl<decltype(p)::value, 3>(meshes, pos, out, 3, shift); });
}

template <class T>
void readout_vjp(const Field<T>& mesh, const Particles<T>& particles, double box_size,
                 PaintKernel kernel, const T* out_cot, std::size_t stride, T* grad_disp,
                 Field<T>* grad_mesh, double shift) {
  if (grad_mesh != nullptr) {
    paint_weighted(*grad_mesh, particles, box_size, kernel, out_cot, stride, shift);
  }
  if (grad_disp == nullptr) return;
  const LatticePositions<T> pos(particles, mesh.n() / box_size);
  const Field<T>* meshes[1] = {&mesh};
  const auto cot = [&](std::size_t j, T* c) { c[0] = out_cot[stride * j]; };
  dispatch_order(kernel, [&](auto p) {
    readout_vjp_impl<decltype(p)::value, 1>(meshes, pos, cot, grad_disp, static_cast<T*>(nullptr),
                                            1, shift);
  });
}

template <class T>
double readout3_vjp_positions(const Field<T>* const meshes[3], const Particles<T>& particles,
                              double box_size, PaintKernel kernel, const T* out_cot, T* grad,
                              double shift, T* out) {
  const LatticePositions<T> pos(particles, meshes[0]->n() / box_size);
  const auto cot = [&](std::size_t j, T* c) {
    for (int m = 0; m < 3; ++m) c[m] = out_cot[3 * j + m];
  };
  double dot = 0;
  dispatch_order(kernel, [&](auto p) {
    dot = readout_vjp_impl<decltype(p)::value, 3>(meshes, pos, cot, grad, out, 3, shift);
  });
  return dot;
}

#define COSMOGRAD_INSTANTIATE(T)                                                                   \
  template void paint<T>(Field<T>&, const Particles<T>&, double, PaintKernel, T, double);          \
  template void paint<T>(Field<T>&, const std::vector<T>&, double, PaintKernel, T, double);        \
  template void readout<T>(const Field<T>&, const Particles<T>&, double, PaintKernel, T*,          \
                           std::size_t, double);                                                   \
  template void readout3<T>(const Field<T>* const[3], const Particles<T>&, double, PaintKernel,    \
                            T*, double);                                                           \
  template void paint_weighted<T>(Field<T>&, const Particles<T>&, double, PaintKernel, const T*,   \
                                  std::size_t, double);                                            \
  template void paint3_weighted<T>(Field<T>* const[3], const Particles<T>&, double, PaintKernel,   \
                                   const T*, double);                                              \
  template void paint_vjp<T>(const Field<T>&, const Particles<T>&, double, PaintKernel, T, T*,     \
                             double);                                                              \
  template void readout_vjp<T>(const Field<T>&, const Particles<T>&, double, PaintKernel,          \
                               const T*, std::size_t, T*, Field<T>*, double);                      \
  template double readout3_vjp_positions<T>(const Field<T>* const[3], const Particles<T>&, double, \
                                            PaintKernel, const T*, T*, double, T*);
COSMOGRAD_INSTANTIATE(float)
COSMOGRAD_INSTANTIATE(double)
#undef COSMOGRAD_INSTANTIATE

}  // namespace cosmograd::sim
