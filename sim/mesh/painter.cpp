#include "sim/mesh/painter.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>

#include "sim/mesh/detail/paint_loops.hpp"
#include "sim/mesh/window_weights.hpp"

namespace cosmograd::sim {
namespace {

using detail::ArrayPositions;
using detail::dispatch_order;
using detail::LatticePositions;

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
  /// CIC from a cell (x, y, z in [0, n)) and the offsets t in it: the weights axis_weights<2>
  /// computes from u = cell + t, bit for bit.
  Stencil(const std::uint32_t* cell, const T* t, int n) {
    static_assert(P == 2, "cell and offsets give the CIC window only");
    for (int a = 0; a < 3; ++a) {
      w[a][0] = T(1) - t[a];
      w[a][1] = t[a];
      if constexpr (Deriv) {
        dw[a][0] = T(-1);
        dw[a][1] = T(1);
      }
      idx[a][0] = static_cast<int>(cell[a]);
      idx[a][1] = idx[a][0] + 1 == n ? 0 : idx[a][0] + 1;
    }
  }
};

/// Adds mass[m] to meshes[m] (same layout) with the order-P window s; returns the number of
/// window planes this rank does not hold (skipped).
template <int P, int M, class T>
inline int scatter(Field<T>* const* meshes, const Stencil<P, false, T>& s, const T* mass) {
  const Decomposition& d = meshes[0]->decomp();
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

/// Interpolates M meshes (same layout) with the order-P window s:
/// out[m] = sum_cells W mesh_m(cell). With Deriv it also returns the gradient of
/// sum_m cot[m] out[m] with respect to the position: grad[d] = sum_m cot[m] sum_cells dW/du_d
/// mesh_m [per cell]; out is computed by the same operations either way (bitwise equal).
/// Returns the number of window planes this rank does not hold (skipped).
template <int P, int M, bool Deriv, class T>
inline int gather(const Field<T>* const* meshes, const Stencil<P, Deriv, T>& s, T* out,
                  const T* cot = nullptr, T* grad = nullptr) {
  const Decomposition& d = meshes[0]->decomp();
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

/// Paints M meshes (same layout) with the masses weights(j, m) fills for particle j
/// (m: M values), in the chunked order of `order` (detail::scatter_in_chunks): race-free
/// and bitwise identical for any thread count.
template <int P, int M, class T, class Positions, class Weights>
void paint_impl(Field<T>* const* meshes, const Positions& pos, const Weights& weights, double shift,
                const PlaneOrder& order) {
  const int span = detail::scatter_span(P, 0);
  const int n = meshes[0]->n();
  const std::uint32_t* idx = order.indices();
  const T* offsets = P == 2 ? order.offsets<T>() : nullptr;
  std::size_t missing = 0;
  if constexpr (P == 2) {
    if (offsets != nullptr) {  // CIC: the cells and offsets the sort kept, read in order
      const std::uint32_t* cz = order.cell_z();
      missing = detail::scatter_in_chunks(order, span, [&](std::size_t s, std::size_t r) {
        const std::uint32_t cell[3] = {static_cast<std::uint32_t>(r / n),
                                       static_cast<std::uint32_t>(r % n), cz[s]};
        T m[M];
        weights(idx[s], m);
        return scatter<P, M>(meshes, Stencil<P, false, T>(cell, offsets + 3 * s, n), m);
      });
    }
  }
  if (offsets == nullptr) {
    missing = detail::scatter_in_chunks(order, span, [&](std::size_t s, std::size_t) {
      const std::size_t j = idx[s];
      double u[3];
      pos(j, shift, u);
      T m[M];
      weights(j, m);
      return scatter<P, M>(meshes, Stencil<P, false, T>(u, n), m);
    });
  }
  detail::require_held_planes(missing, "paint");
}

/// paint_impl() of window k over `order`, or over a plane order sorted here (for the
/// points `source`, particles or a position array) when it is null.
template <int M, class T, class Source, class Positions, class Weights>
void paint_sorted(PaintKernel k, Field<T>* const* meshes, const Source& source, double box_size,
                  const Positions& pos, const Weights& weights, double shift,
                  const PlaneOrder* order) {
  const int n = meshes[0]->n();
  PlaneOrder own;
  order = &detail::order_or_sort(order, own, source, pos.size(), n, box_size, shift, "paint");
  dispatch_order(
      k, [&](auto p) { paint_impl<decltype(p)::value, M>(meshes, pos, weights, shift, *order); });
}

template <int P, int M, class T, class Positions>
void readout_impl(const Field<T>* const* meshes, const Positions& pos, T* out, std::size_t stride,
                  double shift) {
  const std::size_t missing = detail::gather_all(pos.size(), [&](std::size_t j) {
    double u[3];
    pos(j, shift, u);
    return gather<P, M, false>(meshes, Stencil<P, false, T>(u, meshes[0]->n()), out + stride * j);
  });
  detail::require_held_planes(missing, "readout");
}

/// Adds to grad[3 j + d] [per Mpc/h] the position derivative of sum_m cot_j[m] out_j[m],
/// out_j the readout of M meshes and cot_j what cot(j, c) fills; writes out_j to
/// out[stride j + m] when out is not null. Returns sum_j cot_j . out_j, summed in double
/// in blocks of fixed size (detail::reduce_all), independent of the thread count.
template <int P, int M, class T, class Positions, class Cot>
double readout_vjp_impl(const Field<T>* const* meshes, const Positions& pos, const Cot& cot,
                        T* grad, T* out, std::size_t stride, double shift) {
  const T to_mpc = static_cast<T>(pos.inv_cell);  // d u / d x [cells per Mpc/h]
  std::size_t missing = 0;
  const double total =
      detail::reduce_all(pos.size(), missing, [&](std::size_t j) -> std::pair<double, int> {
        double u[3];
        pos(j, shift, u);
        T c[M], v[M], g[3];
        cot(j, c);
        const int skipped =
            gather<P, M, true>(meshes, Stencil<P, true, T>(u, meshes[0]->n()), v, c, g);
        for (int d = 0; d < 3; ++d) grad[3 * j + d] += to_mpc * g[d];
        double sum = 0;
        for (int m = 0; m < M; ++m) {
          sum += static_cast<double>(c[m]) * v[m];
          if (out != nullptr) out[stride * j + m] = v[m];
        }
        return {sum, skipped};
      });
  detail::require_held_planes(missing, "readout vjp");
  return total;
}

}  // namespace

template <class T>
void paint(Field<T>& mesh, const Particles<T>& particles, double box_size, PaintKernel kernel,
           T mass, double shift, const PlaneOrder* order) {
  paint_weighted(mesh, particles, box_size, kernel, &mass, 0, shift, order);
}

template <class T>
void paint_weighted(Field<T>& mesh, const Particles<T>& particles, double box_size,
                    PaintKernel kernel, const T* weights, std::size_t stride, double shift,
                    const PlaneOrder* order) {
  const LatticePositions<T> pos(particles, mesh.n() / box_size);
  Field<T>* meshes[1] = {&mesh};
  const auto weight = [&](std::size_t j, T* m) { m[0] = weights[stride * j]; };
  paint_sorted<1>(kernel, meshes, particles, box_size, pos, weight, shift, order);
}

template <class T>
void paint3_weighted(Field<T>* const meshes[3], const Particles<T>& particles, double box_size,
                     PaintKernel kernel, const T* weights, double shift, const PlaneOrder* order) {
  const LatticePositions<T> pos(particles, meshes[0]->n() / box_size);
  const auto weight = [&](std::size_t j, T* m) {
    for (int d = 0; d < 3; ++d) m[d] = weights[3 * j + d];
  };
  paint_sorted<3>(kernel, meshes, particles, box_size, pos, weight, shift, order);
}

template <class T>
void paint_vjp(const Field<T>& cot, const Particles<T>& particles, double box_size,
               PaintKernel kernel, T mass, T* grad, double shift, const PlaneOrder* order) {
  // d/dx_j <cot, paint> = mass sum_cells dW(x_j - cell)/dx_j cot(cell): the position
  // derivative of a readout of cot with cotangent `mass` (pmwd, Li et al. 2022).
  const LatticePositions<T> pos(particles, cot.n() / box_size);
  const Field<T>* meshes[1] = {&cot};
  if (order != nullptr) order->require_matches(particles.size(), cot.n(), shift, "paint vjp");
  const T* offsets = order != nullptr ? order->offsets<T>() : nullptr;
  if (kernel == PaintKernel::cic && offsets != nullptr) {
    // CIC walking the order row by row, from the cells and offsets it kept: the same
    // gradient per particle as the loop below, bit for bit.
    const int n = cot.n();
    const T to_mpc = static_cast<T>(pos.inv_cell);
    const std::uint32_t* idx = order->indices();
    const std::uint32_t* cz = order->cell_z();
    std::size_t missing = 0;
    detail::reduce_rows(*order, missing, [&](std::size_t r, std::size_t s0, std::size_t s1) {
      std::size_t skipped = 0;
      for (std::size_t s = s0; s < s1; ++s) {
        if (s + detail::kPrefetchAhead < order->size()) {
          detail::prefetch_write(grad + 3 * idx[s + detail::kPrefetchAhead]);
        }
        const std::uint32_t cell[3] = {static_cast<std::uint32_t>(r / n),
                                       static_cast<std::uint32_t>(r % n), cz[s]};
        T v[1], g[3];
        skipped +=
            gather<2, 1, true>(meshes, Stencil<2, true, T>(cell, offsets + 3 * s, n), v, &mass, g);
        for (int d = 0; d < 3; ++d) grad[3 * idx[s] + d] += to_mpc * g[d];
      }
      return std::pair<double, std::size_t>(0.0, skipped);
    });
    detail::require_held_planes(missing, "readout vjp");
    return;
  }
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
  paint_sorted<1>(kernel, meshes, positions, box_size, pos, weight, shift, nullptr);
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
  template void paint<T>(Field<T>&, const Particles<T>&, double, PaintKernel, T, double,           \
                         const PlaneOrder*);                                                       \
  template void paint<T>(Field<T>&, const std::vector<T>&, double, PaintKernel, T, double);        \
  template void readout<T>(const Field<T>&, const Particles<T>&, double, PaintKernel, T*,          \
                           std::size_t, double);                                                   \
  template void readout3<T>(const Field<T>* const[3], const Particles<T>&, double, PaintKernel,    \
                            T*, double);                                                           \
  template void paint_weighted<T>(Field<T>&, const Particles<T>&, double, PaintKernel, const T*,   \
                                  std::size_t, double, const PlaneOrder*);                         \
  template void paint3_weighted<T>(Field<T>* const[3], const Particles<T>&, double, PaintKernel,   \
                                   const T*, double, const PlaneOrder*);                           \
  template void paint_vjp<T>(const Field<T>&, const Particles<T>&, double, PaintKernel, T, T*,     \
                             double, const PlaneOrder*);                                           \
  template void readout_vjp<T>(const Field<T>&, const Particles<T>&, double, PaintKernel,          \
                               const T*, std::size_t, T*, Field<T>*, double);                      \
  template double readout3_vjp_positions<T>(const Field<T>* const[3], const Particles<T>&, double, \
                                            PaintKernel, const T*, T*, double, T*);
COSMOGRAD_INSTANTIATE(float)
COSMOGRAD_INSTANTIATE(double)
#undef COSMOGRAD_INSTANTIATE

}  // namespace cosmograd::sim
