#include "sim/mesh/fd4_readout.hpp"

#include <utility>

#include "sim/mesh/detail/paint_loops.hpp"
#include "sim/mesh/window_weights.hpp"

namespace cosmograd::sim {
namespace {

/// out[d] = sum_cells W(cell) (D_d mesh)(cell) at cell coordinates u: the stencil applied
/// at each of the window's P^3 cells (4 loads per component and cell) and weighted, in
/// double; with Deriv also g[d] = d/du_d sum_m cot[m] out[m] [per cell]. out is computed by
/// the same operations either way. Returns the planes this rank does not hold.
template <int P, bool Deriv, class T>
int gather_fd4(const Field<T>& mesh, const double* u, double* out, const double* cot = nullptr,
               double* g = nullptr) {
  constexpr int L = P + 4;
  const Decomposition& d = mesh.decomp();
  const int n = d.n();
  const std::size_t nzp = static_cast<std::size_t>(d.nz_padded());
  double w[3][P], dw[3][Deriv ? P : 1];
  int idx[3][L];
  for (int axis = 0; axis < 3; ++axis) {
    wrapped_indices<L>(axis_weights<P, Deriv>(u[axis], w[axis], dw[axis]) - 2, n, idx[axis]);
  }
  const T* plane[L];
  int missing = 0;
  for (int a = 0; a < L; ++a) {
    const int xl = d.local_plane(idx[0][a]);
    if (xl == Decomposition::kNotHeld) {
      ++missing;
      plane[a] = nullptr;
    } else {
      plane[a] = mesh.plane(xl);
    }
  }
  out[0] = out[1] = out[2] = 0;
  if constexpr (Deriv) g[0] = g[1] = g[2] = 0;
  if (missing > 0) return missing;
  std::size_t row[L];
  for (int b = 0; b < L; ++b) row[b] = static_cast<std::size_t>(idx[1][b]) * nzp;
  const int* z = idx[2];
  // (D f)(i) = [8 (f(i+1) - f(i-1)) - (f(i+2) - f(i-2))] / 12
  const auto diff = [](double m2, double m1, double p1, double p2) {
    return (8.0 * (p1 - m1) - (p2 - m2)) / 12.0;
  };
  for (int a = 0; a < P; ++a) {
    for (int b = 0; b < P; ++b) {
      const T* r = plane[a + 2] + row[b + 2];
      const std::size_t ry = row[b + 2];
      const double wab = w[0][a] * w[1][b];
      for (int c = 0; c < P; ++c) {
        const int zc = z[c + 2];
        const double f[3] = {diff(plane[a][ry + zc], plane[a + 1][ry + zc], plane[a + 3][ry + zc],
                                  plane[a + 4][ry + zc]),
                             diff(plane[a + 2][row[b] + zc], plane[a + 2][row[b + 1] + zc],
                                  plane[a + 2][row[b + 3] + zc], plane[a + 2][row[b + 4] + zc]),
                             diff(r[z[c]], r[z[c + 1]], r[z[c + 3]], r[z[c + 4]])};
        const double wabc = wab * w[2][c];
        for (int m = 0; m < 3; ++m) out[m] += wabc * f[m];
        if constexpr (Deriv) {
          const double cf = cot[0] * f[0] + cot[1] * f[1] + cot[2] * f[2];
          g[0] += dw[0][a] * w[1][b] * w[2][c] * cf;
          g[1] += w[0][a] * dw[1][b] * w[2][c] * cf;
          g[2] += wab * dw[2][c] * cf;
        }
      }
    }
  }
  return missing;
}

/// mesh(cell) += sum_d c[d] (D_d^T W)(cell) at cell coordinates u: the transpose of
/// gather_fd4(), component d spread along axis d over P + 4 cells with the weights
/// e = D^T W, e[k] = [8 (w[k-3] - w[k-1]) + (w[k] - w[k-4])] / 12 (w zero outside [0, P)).
/// Returns the planes this rank does not hold.
template <int P, class T>
int scatter_fd4(Field<T>& mesh, const double* u, const double* c) {
  constexpr int L = P + 4;
  const Decomposition& d = mesh.decomp();
  const std::size_t nzp = static_cast<std::size_t>(d.nz_padded());
  double w[3][P], e[3][L];
  int idx[3][L];
  for (int axis = 0; axis < 3; ++axis) {
    wrapped_indices<L>(axis_weights<P, false>(u[axis], w[axis], w[axis]) - 2, d.n(), idx[axis]);
    const auto at = [&](int m) { return m >= 0 && m < P ? w[axis][m] : 0.0; };
    for (int k = 0; k < L; ++k) {
      e[axis][k] = (8.0 * (at(k - 3) - at(k - 1)) + (at(k) - at(k - 4))) / 12.0;
    }
  }
  T* plane[L];
  int missing = 0;
  for (int a = 0; a < L; ++a) {
    const int xl = d.local_plane(idx[0][a]);
    missing += xl == Decomposition::kNotHeld;
    plane[a] = xl == Decomposition::kNotHeld ? nullptr : mesh.plane(xl);
  }
  if (missing > 0) return missing;
  std::size_t row[L];
  for (int b = 0; b < L; ++b) row[b] = static_cast<std::size_t>(idx[1][b]) * nzp;
  const int* z = idx[2];
  for (int p = 0; p < P; ++p) {
    for (int q = 0; q < P; ++q) {
      const double kx = c[0] * w[1][p] * w[2][q];  // x: rows (p, q) of y, z, along x
      const std::size_t off = row[p + 2] + z[q + 2];
      for (int k = 0; k < L; ++k) plane[k][off] += static_cast<T>(kx * e[0][k]);
      const double ky = c[1] * w[0][p] * w[2][q];  // y: planes p, z q, along y
      for (int k = 0; k < L; ++k) plane[p + 2][row[k] + z[q + 2]] += static_cast<T>(ky * e[1][k]);
      const double kz = c[2] * w[0][p] * w[1][q];  // z: planes p, rows q, along z
      T* r = plane[p + 2] + row[q + 2];
      for (int k = 0; k < L; ++k) r[z[k]] += static_cast<T>(kz * e[2][k]);
    }
  }
  return missing;
}

}  // namespace

template <class T>
void readout_fd4_gradient(const Field<T>& mesh, const Particles<T>& particles, double box_size,
                          PaintKernel kernel, double scale, T* out, double shift) {
  const detail::LatticePositions<T> pos(particles, mesh.n() / box_size);
  detail::dispatch_order(kernel, [&](auto p) {
    constexpr int P = decltype(p)::value;
    const std::size_t missing = detail::gather_all(pos.size(), [&](std::size_t j) {
      double u[3], v[3];
      pos(j, shift, u);
      const int skipped = gather_fd4<P, false>(mesh, u, v);
      for (int d = 0; d < 3; ++d) out[3 * j + d] = static_cast<T>(scale * v[d]);
      return skipped;
    });
    detail::require_held_planes(missing, "fd4 readout");
  });
}

template <class T>
void paint_fd4_gradient_transpose(Field<T>& mesh, const Particles<T>& particles, double box_size,
                                  PaintKernel kernel, double scale, const T* cot, double shift,
                                  const PlaneOrder* order) {
  PlaneOrder own;
  if (order != nullptr) {
    order->require_matches(particles.size(), mesh.n(), shift, "fd4 transpose paint");
  } else {
    own.sort(particles, mesh.n(), box_size, shift);
    order = &own;
  }
  const detail::LatticePositions<T> pos(particles, mesh.n() / box_size);
  detail::dispatch_order(kernel, [&](auto p) {
    constexpr int P = decltype(p)::value;
    const int span = detail::scatter_span(P, kFd4StencilHalfWidth);
    const std::size_t missing = detail::scatter_in_chunks(*order, span, [&](std::size_t j) {
      double u[3];
      pos(j, shift, u);
      const double c[3] = {scale * cot[3 * j], scale * cot[3 * j + 1], scale * cot[3 * j + 2]};
      return scatter_fd4<P>(mesh, u, c);
    });
    detail::require_held_planes(missing, "fd4 transpose paint");
  });
}

template <class T>
double readout_fd4_gradient_vjp_positions(const Field<T>& mesh, const Particles<T>& particles,
                                          double box_size, PaintKernel kernel, double scale,
                                          const T* cot, T* grad, double shift, T* out) {
  const detail::LatticePositions<T> pos(particles, mesh.n() / box_size);
  const double to_mpc = pos.inv_cell;  // d u / d x [cells per Mpc/h]
  double dot = 0;
  detail::dispatch_order(kernel, [&](auto p) {
    constexpr int P = decltype(p)::value;
    std::size_t missing = 0;
    dot = detail::reduce_all(pos.size(), missing, [&](std::size_t j) -> std::pair<double, int> {
      double u[3], v[3], g[3];
      pos(j, shift, u);
      const double c[3] = {static_cast<double>(cot[3 * j]), static_cast<double>(cot[3 * j + 1]),
                           static_cast<double>(cot[3 * j + 2])};
      const int skipped = gather_fd4<P, true>(mesh, u, v, c, g);
      double sum = 0;
      for (int d = 0; d < 3; ++d) {
        grad[3 * j + d] += static_cast<T>(scale * to_mpc * g[d]);
        const T o = static_cast<T>(scale * v[d]);
        if (out != nullptr) out[3 * j + d] = o;
        sum += c[d] * static_cast<double>(o);
      }
      return {sum, skipped};
    });
    detail::require_held_planes(missing, "fd4 vjp");
  });
  return dot;
}

#define COSMOGRAD_INSTANTIATE(T)                                                                   \
  template void readout_fd4_gradient<T>(const Field<T>&, const Particles<T>&, double, PaintKernel, \
                                        double, T*, double);                                       \
  template void paint_fd4_gradient_transpose<T>(Field<T>&, const Particles<T>&, double,            \
                                                PaintKernel, double, const T*, double,             \
                                                const PlaneOrder*);                                \
  template double readout_fd4_gradient_vjp_positions<T>(const Field<T>&, const Particles<T>&,      \
                                                        double, PaintKernel, double, const T*, T*, \
                                                        double, T*);
COSMOGRAD_INSTANTIATE(float)
COSMOGRAD_INSTANTIATE(double)
#undef COSMOGRAD_INSTANTIATE

}  // namespace cosmograd::sim
