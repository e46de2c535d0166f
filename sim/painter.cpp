#include "sim/painter.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace cosmograd::sim {
namespace {

/// Width in planes of a paint chunk; two same-colour chunks never touch the same plane
/// when the width is at least p - 1 (p <= 4). Fixed, so results do not depend on threads.
constexpr int kChunkWidth = 4;

/// B-spline window of order P along one axis (Hockney & Eastwood 1988, §5-3): returns the
/// first touched mesh index (unwrapped) and fills the P weights, for a position u in cells.
template <int P, class T>
inline long long axis_weights(double u, T* w) {
  if constexpr (P == 2) {  // CIC
    const double f = std::floor(u);
    const T t = static_cast<T>(u - f);
    w[0] = T(1) - t;
    w[1] = t;
    return static_cast<long long>(f);
  } else if constexpr (P == 3) {  // TSC
    const double c = std::floor(u + 0.5);
    const T d = static_cast<T>(u - c);  // in [-1/2, 1/2)
    w[0] = T(0.5) * (T(0.5) - d) * (T(0.5) - d);
    w[1] = T(0.75) - d * d;
    w[2] = T(0.5) * (T(0.5) + d) * (T(0.5) + d);
    return static_cast<long long>(c) - 1;
  } else {  // PCS
    const double f = std::floor(u);
    const T t = static_cast<T>(u - f);
    const T s = T(1) - t;
    w[0] = s * s * s / T(6);
    w[1] = (T(4) - T(6) * t * t + T(3) * t * t * t) / T(6);
    w[2] = (T(4) - T(6) * s * s + T(3) * s * s * s) / T(6);
    w[3] = t * t * t / T(6);
    return static_cast<long long>(f) - 1;
  }
}

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

/// The P consecutive periodic mesh indices starting at `first` (any integer).
template <int P>
inline void wrapped_indices(long long first, int n, int* idx) {
  long long i0 = first;
  if (i0 < 0 || i0 >= n) {  // rare: positions are mostly inside the box
    i0 %= n;
    if (i0 < 0) i0 += n;
  }
  for (int c = 0; c < P; ++c) {
    const int i = static_cast<int>(i0) + c;
    idx[c] = i >= n ? i - n : i;
  }
}

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

/// Adds `mass` at cell coordinates u with the order-P window.
template <int P, class T>
inline void scatter(Field<T>& mesh, const double* u, T mass) {
  const Decomposition& d = mesh.decomp();
  const int n = d.n();
  T wx[P], wy[P], wz[P];
  int ix[P], iy[P], iz[P];
  wrapped_indices<P>(axis_weights<P>(u[0], wx), n, ix);
  wrapped_indices<P>(axis_weights<P>(u[1], wy), n, iy);
  wrapped_indices<P>(axis_weights<P>(u[2], wz), n, iz);
  T* base = mesh.real();
  for (int a = 0; a < P; ++a) {
    const int xl = ix[a] - d.x_begin();
    if (xl < 0 || xl >= d.nx_local()) continue;
    const T ma = mass * wx[a];
    for (int b = 0; b < P; ++b) {
      T* row = base + d.real_index(xl, iy[b], 0);
      const T mab = ma * wy[b];
      for (int c = 0; c < P; ++c) row[iz[c]] += mab * wz[c];
    }
  }
}

/// Interpolates M meshes (same layout) at cell coordinates u with the order-P window:
/// out[m] = sum_cells W mesh_m(cell).
template <int P, int M, class T>
inline void gather(const Field<T>* const* meshes, const double* u, T* out) {
  const Decomposition& d = meshes[0]->decomp();
  const int n = d.n();
  T wx[P], wy[P], wz[P];
  int ix[P], iy[P], iz[P];
  wrapped_indices<P>(axis_weights<P>(u[0], wx), n, ix);
  wrapped_indices<P>(axis_weights<P>(u[1], wy), n, iy);
  wrapped_indices<P>(axis_weights<P>(u[2], wz), n, iz);
  for (int m = 0; m < M; ++m) out[m] = 0;
  for (int a = 0; a < P; ++a) {
    const int xl = ix[a] - d.x_begin();
    if (xl < 0 || xl >= d.nx_local()) continue;
    for (int b = 0; b < P; ++b) {
      const std::size_t row = d.real_index(xl, iy[b], 0);
      const T wab = wx[a] * wy[b];
      for (int m = 0; m < M; ++m) {
        const T* r = meshes[m]->real() + row;
        T sc = 0;
        for (int c = 0; c < P; ++c) sc += wz[c] * r[iz[c]];
        out[m] += wab * sc;
      }
    }
  }
}

template <int P, class T, class Positions>
void paint_impl(Field<T>& mesh, const Positions& pos, T mass, double shift) {
  const int n = mesh.n();
  const std::size_t np = pos.size();
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
    wrapped_indices<P>(axis_weights<P>(u[0], w), n, idx);
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
  auto paint_chunk = [&](int c) {
    for (std::size_t s = start[c]; s < start[c + 1]; ++s) {
      double u[3];
      pos(order[s], shift, u);
      scatter<P>(mesh, u, mass);
    }
  };
  if (nchunks < 2) {
    paint_chunk(0);
    return;
  }
  // Chunks of one colour write disjoint planes. With an odd count the last chunk would
  // touch chunk 0 through the periodic wrap, so it is painted alone at the end.
  const int paired = nchunks % 2 == 0 ? nchunks : nchunks - 1;
  for (int colour = 0; colour < 2; ++colour) {
#pragma omp parallel for schedule(dynamic, 1)
    for (int c = colour; c < paired; c += 2) paint_chunk(c);
  }
  if (paired != nchunks) paint_chunk(nchunks - 1);
}

template <int P, int M, class T, class Positions>
void readout_impl(const Field<T>* const* meshes, const Positions& pos, T* out,
                  std::size_t stride, double shift) {
  const std::size_t np = pos.size();
#pragma omp parallel for schedule(static)
  for (std::size_t j = 0; j < np; ++j) {
    double u[3];
    pos(j, shift, u);
    gather<P, M>(meshes, u, out + stride * j);
  }
}

/// Calls f(std::integral_constant<int, P>) for the order of kernel k.
template <class F>
void dispatch_order(PaintKernel k, F f) {
  switch (k) {
    case PaintKernel::cic: return f(std::integral_constant<int, 2>());
    case PaintKernel::tsc: return f(std::integral_constant<int, 3>());
    case PaintKernel::pcs: return f(std::integral_constant<int, 4>());
  }
}

}  // namespace

PaintKernel parse_paint_kernel(const std::string& name, const std::string& field) {
  if (name == "cic") return PaintKernel::cic;
  if (name == "tsc") return PaintKernel::tsc;
  if (name == "pcs") return PaintKernel::pcs;
  throw std::invalid_argument(field + " = '" + name +
                              "' is not a mass-assignment window (allowed: cic, tsc, pcs)");
}

const char* paint_kernel_name(PaintKernel k) {
  switch (k) {
    case PaintKernel::cic: return "cic";
    case PaintKernel::tsc: return "tsc";
    case PaintKernel::pcs: return "pcs";
  }
  return "?";
}

template <class T>
void paint(Field<T>& mesh, const Particles<T>& particles, double box_size, PaintKernel kernel,
           T mass, double shift) {
  const LatticePositions<T> pos(particles, mesh.n() / box_size);
  dispatch_order(kernel, [&](auto p) { paint_impl<decltype(p)::value>(mesh, pos, mass, shift); });
}

template <class T>
void paint(Field<T>& mesh, const std::vector<T>& positions, double box_size, PaintKernel kernel,
           T mass, double shift) {
  const ArrayPositions<T> pos{positions, mesh.n() / box_size};
  dispatch_order(kernel, [&](auto p) { paint_impl<decltype(p)::value>(mesh, pos, mass, shift); });
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
  dispatch_order(kernel, [&](auto p) {
    readout_impl<decltype(p)::value, 3>(meshes, pos, out, 3, shift);
  });
}

#define COSMOGRAD_INSTANTIATE(T)                                                               \
  template void paint<T>(Field<T>&, const Particles<T>&, double, PaintKernel, T, double);     \
  template void paint<T>(Field<T>&, const std::vector<T>&, double, PaintKernel, T, double);   \
  template void readout<T>(const Field<T>&, const Particles<T>&, double, PaintKernel, T*,     \
                           std::size_t, double);                                               \
  template void readout3<T>(const Field<T>* const[3], const Particles<T>&, double, PaintKernel, \
                            T*, double);
COSMOGRAD_INSTANTIATE(float)
COSMOGRAD_INSTANTIATE(double)
#undef COSMOGRAD_INSTANTIATE

}  // namespace cosmograd::sim
