#include "sim/mesh/fd4_readout.hpp"

#include <cstdint>
#include <utility>

#include "sim/mesh/detail/fd4_cic.hpp"
#include "sim/mesh/detail/paint_loops.hpp"
#include "sim/mesh/window_weights.hpp"

namespace cosmograd::sim {
namespace {

/// The window of one particle for the fd4 operators: for each axis the first of the L = P + 4
/// cells the stencil and the window reach (unwrapped), the window weights w and
/// e = 12 D^T w, the weights of those L cells in 12 sum_a w[a] (D f)(first + 2 + a):
/// e[k] = 8 (w[k-3] - w[k-1]) + (w[k] - w[k-4]) (w zero outside [0, P); the 1/12 of D is
/// applied to the sums); with Deriv also dw = dW/du and de = 12 D^T dw [per cell].
template <int P, bool Deriv>
struct Fd4Window {
  static constexpr int L = P + 4;
  long long first[3];
  double w[3][P], dw[3][Deriv ? P : 1];
  double e[3][L], de[3][Deriv ? L : 1];

  /// At cell coordinates u (any window).
  explicit Fd4Window(const double* u) {
    for (int a = 0; a < 3; ++a) first[a] = axis_weights<P, Deriv>(u[a], w[a], dw[a]) - 2;
    transpose_weights();
  }
  /// CIC at a cell (in [0, n)) and the offsets t in it (PlaneOrder): the weights
  /// axis_weights<2> gives for u = cell + t.
  template <class T>
  Fd4Window(const std::uint32_t* cell, const T* t) {
    static_assert(P == 2, "cell and offsets give the CIC window only");
    for (int a = 0; a < 3; ++a) {
      first[a] = static_cast<long long>(cell[a]) - 2;
      w[a][0] = 1.0 - static_cast<double>(t[a]);
      w[a][1] = static_cast<double>(t[a]);
      if constexpr (Deriv) {
        dw[a][0] = -1.0;
        dw[a][1] = 1.0;
      }
    }
    transpose_weights();
  }

 private:
  static void apply_transpose(const double* v, double* out) {
    const auto at = [&](int m) { return m >= 0 && m < P ? v[m] : 0.0; };
    for (int k = 0; k < L; ++k) out[k] = 8.0 * (at(k - 3) - at(k - 1)) + (at(k) - at(k - 4));
  }
  void transpose_weights() {
    for (int a = 0; a < 3; ++a) {
      apply_transpose(w[a], e[a]);
      if constexpr (Deriv) apply_transpose(dw[a], de[a]);
    }
  }
};

/// out[d] = 12 sum_cells W(cell) (D_d mesh)(cell) for the window k, evaluated axis by axis:
/// out_x = sum_i e_x[i] sum_b w_y[b] sum_c w_z[c] mesh(i, b, c), and likewise for y and z,
/// in double (the e sums cancel to the gradient of the potential). With Deriv also
/// jac[m][d] = d out[m] / d u_d [per cell]; out is computed by the same operations either
/// way. Returns the planes this rank does not hold.
template <int P, bool Deriv, class T>
int gather_fd4(const Field<T>& mesh, const Fd4Window<P, Deriv>& k, double* out,
               double (*jac)[3] = nullptr) {
  constexpr int L = P + 4;
  const Decomposition& d = mesh.decomp();
  const int n = d.n();
  const std::size_t nzp = static_cast<std::size_t>(d.nz_padded());
  int idx[3][L];
  for (int axis = 0; axis < 3; ++axis) wrapped_indices<L>(k.first[axis], n, idx[axis]);
  const T* plane[L];
  int missing = 0;
  for (int a = 0; a < L; ++a) {
    const int xl = d.local_plane(idx[0][a]);
    missing += xl == Decomposition::kNotHeld;
    plane[a] = xl == Decomposition::kNotHeld ? nullptr : mesh.plane(xl);
  }
  out[0] = out[1] = out[2] = 0;
  if constexpr (Deriv) {
    for (int m = 0; m < 3; ++m) jac[m][0] = jac[m][1] = jac[m][2] = 0;
  }
  if (missing > 0) return missing;
  std::size_t row[L];
  for (int b = 0; b < L; ++b) row[b] = static_cast<std::size_t>(idx[1][b]) * nzp;
  const auto& w = k.w;
  const auto& dw = k.dw;
  const auto& e = k.e;
  const auto& de = k.de;
  // The three arms of the stencil; `at(r, i)` reads z cell i of the L along row pointer r.
  const auto arms = [&](auto at) {
    // The window's sums along z of the P^2 central rows (planes and rows of the window),
    // shared by the x and y arms: cv = w_z . row, cdv = dw_z . row; and the z arm,
    // sz = e_z . row, sz_z = de_z . row.
    const auto window_z = [&](const T* r, double& v, [[maybe_unused]] double& dv) {
      v = 0;
      if constexpr (Deriv) dv = 0;
      for (int c = 0; c < P; ++c) {
        const double f = static_cast<double>(at(r, c + 2));
        v += w[2][c] * f;
        if constexpr (Deriv) dv += dw[2][c] * f;
      }
    };
    double cv[P][P], sz[P][P];
    [[maybe_unused]] double cdv[P][P], sz_z[P][P];
    for (int a = 0; a < P; ++a) {
      for (int b = 0; b < P; ++b) {
        const T* r = plane[a + 2] + row[b + 2];
        window_z(r, cv[a][b], cdv[a][b]);
        sz[a][b] = 0;
        if constexpr (Deriv) sz_z[a][b] = 0;
        for (int i = 0; i < L; ++i) {
          const double f = static_cast<double>(at(r, i));
          sz[a][b] += e[2][i] * f;
          if constexpr (Deriv) sz_z[a][b] += de[2][i] * f;
        }
      }
    }
    // The window sum of row (plane i, row b) of the L x L cross: central or read here.
    const auto cross = [&](int i, int b, double& v, double& dv) {
      if (i >= 2 && i < P + 2 && b >= 2 && b < P + 2) {
        v = cv[i - 2][b - 2];
        if constexpr (Deriv) dv = cdv[i - 2][b - 2];
      } else {
        window_z(plane[i] + row[b], v, dv);
      }
    };
    // x: sx[i] = sum_b w_y[b] (w_z . row(i, b)); y: sy[a] = sum_i e_y[i] (w_z . row(a, i)).
    double sx[L], sy[P];
    [[maybe_unused]] double sx_y[L], sx_z[L], sy_y[P], sy_z[P];
    for (int i = 0; i < L; ++i) {
      sx[i] = 0;
      if constexpr (Deriv) sx_y[i] = sx_z[i] = 0;
      for (int b = 0; b < P; ++b) {
        double v, dv;
        cross(i, b + 2, v, dv);
        sx[i] += w[1][b] * v;
        if constexpr (Deriv) {
          sx_y[i] += dw[1][b] * v;
          sx_z[i] += w[1][b] * dv;
        }
      }
    }
    for (int a = 0; a < P; ++a) {
      sy[a] = 0;
      if constexpr (Deriv) sy_y[a] = sy_z[a] = 0;
      for (int i = 0; i < L; ++i) {
        double v, dv;
        cross(a + 2, i, v, dv);
        sy[a] += e[1][i] * v;
        if constexpr (Deriv) {
          sy_y[a] += de[1][i] * v;
          sy_z[a] += e[1][i] * dv;
        }
      }
    }
    for (int i = 0; i < L; ++i) out[0] += e[0][i] * sx[i];
    for (int a = 0; a < P; ++a) {
      out[1] += w[0][a] * sy[a];
      double t = 0;
      for (int b = 0; b < P; ++b) t += w[1][b] * sz[a][b];
      out[2] += w[0][a] * t;
    }
    if constexpr (Deriv) {
      for (int i = 0; i < L; ++i) {
        jac[0][0] += de[0][i] * sx[i];
        jac[0][1] += e[0][i] * sx_y[i];
        jac[0][2] += e[0][i] * sx_z[i];
      }
      for (int a = 0; a < P; ++a) {
        jac[1][0] += dw[0][a] * sy[a];
        jac[1][1] += w[0][a] * sy_y[a];
        jac[1][2] += w[0][a] * sy_z[a];
        double t = 0, ty = 0, tz = 0;
        for (int b = 0; b < P; ++b) {
          t += w[1][b] * sz[a][b];
          ty += dw[1][b] * sz[a][b];
          tz += w[1][b] * sz_z[a][b];
        }
        jac[2][0] += dw[0][a] * t;
        jac[2][1] += w[0][a] * ty;
        jac[2][2] += w[0][a] * tz;
      }
    }
  };
  const int z0 = idx[2][0];
  if (z0 + L <= n) {  // the L z cells are contiguous (the usual case)
    arms([z0](const T* r, int i) { return r[z0 + i]; });
  } else {
    const int* z = idx[2];
    arms([z](const T* r, int i) { return r[z[i]]; });
  }
  return 0;
}

/// mesh(cell) += sum_d c[d] (D_d^T W)(cell) for the window k: the transpose of
/// gather_fd4(), component d spread along axis d over P + 4 cells with the weights e / 12.
/// Returns the planes this rank does not hold.
template <int P, class T>
int scatter_fd4(Field<T>& mesh, const Fd4Window<P, false>& k, const double* c) {
  constexpr int L = P + 4;
  const Decomposition& d = mesh.decomp();
  const std::size_t nzp = static_cast<std::size_t>(d.nz_padded());
  int idx[3][L];
  for (int axis = 0; axis < 3; ++axis) wrapped_indices<L>(k.first[axis], d.n(), idx[axis]);
  const auto& w = k.w;
  const auto& e = k.e;
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
      const double kx = c[0] * w[1][p] * w[2][q] / 12.0;  // x: rows (p, q) of y, z, along x
      const std::size_t off = row[p + 2] + z[q + 2];
      for (int i = 0; i < L; ++i) plane[i][off] += static_cast<T>(kx * e[0][i]);
      const double ky = c[1] * w[0][p] * w[2][q] / 12.0;  // y: planes p, z q, along y
      for (int i = 0; i < L; ++i) plane[p + 2][row[i] + z[q + 2]] += static_cast<T>(ky * e[1][i]);
      const double kz = c[2] * w[0][p] * w[1][q] / 12.0;  // z: planes p, rows q, along z
      T* r = plane[p + 2] + row[q + 2];
      for (int i = 0; i < L; ++i) r[z[i]] += static_cast<T>(kz * e[2][i]);
    }
  }
  return missing;
}

/// Calls f(j, out, jac) for every particle j, out = 12 sum_cells W (D_d mesh)(cell) and with
/// Deriv jac[m][d] = d out[m] / d u_d [per cell], and returns the sum of its double results
/// in an order that does not depend on the thread count; the planes this rank lacks go to
/// `missing`. CIC walks `order` (sorted here when null) row by row with the pair kernel
/// (detail::cic_fd4), and gather_fd4 where z wraps, calling touch(j) for the particle
/// detail::kPrefetchAhead positions ahead (to prefetch what f will access); other windows
/// walk the particles in index order from their positions.
template <int P, bool Deriv, class T, class F, class Touch>
double visit_fd4(const Field<T>& mesh, const Particles<T>& particles, double box_size, double shift,
                 const PlaneOrder* order, std::size_t& missing, const F& f, const Touch& touch) {
  if constexpr (P == 2) {
    PlaneOrder own;
    order = &detail::order_or_sort(order, own, particles, particles.size(), mesh.n(), box_size,
                                   shift, "fd4 readout");
    const std::uint32_t* idx = order->indices();
    const std::uint32_t* cz = order->cell_z();
    const T* offsets = order->template offsets<T>();
    const int n = mesh.n();
    const std::size_t count = order->size();
    return detail::reduce_rows(*order, missing, [&](std::size_t r, std::size_t s0, std::size_t s1) {
      const int x = static_cast<int>(r / n), y = static_cast<int>(r % n);
      const detail::Fd4Rows<const T> rows(mesh, x, y);
      double sum = 0;
      std::size_t skipped = 0;
      for (std::size_t s = s0; s < s1; ++s) {
        if (s + detail::kPrefetchAhead < count) touch(idx[s + detail::kPrefetchAhead]);
        const int z = static_cast<int>(cz[s]);
        const T* t = offsets + 3 * s;
        double v[3], jac[3][3];
        if (rows.held && z >= 2 && z + 4 <= n) {
          detail::cic_fd4<Deriv>(rows, z, t, v, jac);
        } else {
          const std::uint32_t cell[3] = {static_cast<std::uint32_t>(x),
                                         static_cast<std::uint32_t>(y), cz[s]};
          skipped += gather_fd4<P, Deriv>(mesh, Fd4Window<P, Deriv>(cell, t), v, jac);
        }
        sum += f(static_cast<std::size_t>(idx[s]), v, jac);
      }
      return std::pair<double, std::size_t>(sum, skipped);
    });
  } else {
    const detail::LatticePositions<T> pos(particles, mesh.n() / box_size);
    return detail::reduce_all(pos.size(), missing, [&](std::size_t j) {
      double u[3], v[3], jac[3][3];
      pos(j, shift, u);
      const int skipped = gather_fd4<P, Deriv>(mesh, Fd4Window<P, Deriv>(u), v, jac);
      return std::pair<double, int>(f(j, v, jac), skipped);
    });
  }
}

}  // namespace

template <class T>
void readout_fd4_gradient(const Field<T>& mesh, const Particles<T>& particles, double box_size,
                          PaintKernel kernel, double scale, T* out, double shift,
                          const PlaneOrder* order) {
  detail::dispatch_order(kernel, [&](auto p) {
    constexpr int P = decltype(p)::value;
    std::size_t missing = 0;
    visit_fd4<P, false>(
        mesh, particles, box_size, shift, order, missing,
        [&](std::size_t j, const double* v, const double(*)[3]) {
          for (int d = 0; d < 3; ++d) {
            out[3 * j + d] = static_cast<T>(scale * (v[d] / 12.0));
          }
          return 0.0;
        },
        [&](std::size_t j) { detail::prefetch_write(out + 3 * j); });
    detail::require_held_planes(missing, "fd4 readout");
  });
}

template <class T>
void paint_fd4_gradient_transpose(Field<T>& mesh, const Particles<T>& particles, double box_size,
                                  PaintKernel kernel, double scale, const T* cot, double shift,
                                  const PlaneOrder* order) {
  PlaneOrder own;
  order = &detail::order_or_sort(order, own, particles, particles.size(), mesh.n(), box_size, shift,
                                 "fd4 transpose paint");
  const detail::LatticePositions<T> pos(particles, mesh.n() / box_size);
  const std::uint32_t* idx = order->indices();
  const std::uint32_t* cz = order->cell_z();
  const T* offsets = order->offsets<T>();
  const int n = mesh.n();
  const std::size_t count = order->size();
  detail::dispatch_order(kernel, [&](auto p) {
    constexpr int P = decltype(p)::value;
    const int span = detail::scatter_span(P, kFd4StencilHalfWidth);
    std::size_t missing = 0;
    if constexpr (P == 2) {
      // CIC from the kept cells and offsets, the rows found once per row, pairs along z
      missing = detail::scatter_rows_in_chunks(
          *order, span, [&](std::size_t r, std::size_t s0, std::size_t s1) {
            const int x = static_cast<int>(r / n), y = static_cast<int>(r % n);
            const detail::Fd4Rows<T> rows(mesh, x, y);
            std::size_t skipped = 0;
            for (std::size_t s = s0; s < s1; ++s) {
              if (s + detail::kPrefetchAhead < count) {
                detail::prefetch_read(cot + 3 * idx[s + detail::kPrefetchAhead]);
              }
              const std::size_t j = idx[s];
              const int z = static_cast<int>(cz[s]);
              const T* t = offsets + 3 * s;
              if (rows.held && z >= 2 && z + 4 <= n) {
                const double c[3] = {scale * cot[3 * j] / 12.0, scale * cot[3 * j + 1] / 12.0,
                                     scale * cot[3 * j + 2] / 12.0};
                detail::cic_fd4_transpose(rows, z, t, c);
              } else {
                const double c[3] = {scale * cot[3 * j], scale * cot[3 * j + 1],
                                     scale * cot[3 * j + 2]};
                const std::uint32_t cell[3] = {static_cast<std::uint32_t>(x),
                                               static_cast<std::uint32_t>(y), cz[s]};
                skipped += scatter_fd4<P>(mesh, Fd4Window<P, false>(cell, t), c);
              }
            }
            return skipped;
          });
    } else {
      missing = detail::scatter_in_chunks(*order, span, [&](std::size_t s, std::size_t) {
        const std::size_t j = idx[s];
        const double c[3] = {scale * cot[3 * j], scale * cot[3 * j + 1], scale * cot[3 * j + 2]};
        double u[3];
        pos(j, shift, u);
        return scatter_fd4<P>(mesh, Fd4Window<P, false>(u), c);
      });
    }
    detail::require_held_planes(missing, "fd4 transpose paint");
  });
}

template <class T>
double readout_fd4_gradient_vjp_positions(const Field<T>& mesh, const Particles<T>& particles,
                                          double box_size, PaintKernel kernel, double scale,
                                          const T* cot, T* grad, double shift, T* out,
                                          const PlaneOrder* order) {
  const double to_mpc = mesh.n() / box_size;  // d u / d x [cells per Mpc/h]
  double dot = 0;
  detail::dispatch_order(kernel, [&](auto p) {
    constexpr int P = decltype(p)::value;
    std::size_t missing = 0;
    dot = visit_fd4<P, true>(
        mesh, particles, box_size, shift, order, missing,
        [&](std::size_t j, const double* v, const double(*jac)[3]) {
          const double c[3] = {static_cast<double>(cot[3 * j]), static_cast<double>(cot[3 * j + 1]),
                               static_cast<double>(cot[3 * j + 2])};
          double sum = 0;
          for (int d = 0; d < 3; ++d) {
            const double g = (c[0] * jac[0][d] + c[1] * jac[1][d] + c[2] * jac[2][d]) / 12.0;
            grad[3 * j + d] += static_cast<T>(scale * to_mpc * g);
            const T o = static_cast<T>(scale * (v[d] / 12.0));
            if (out != nullptr) out[3 * j + d] = o;
            sum += c[d] * static_cast<double>(o);
          }
          return sum;
        },
        [&](std::size_t j) {
          detail::prefetch_read(cot + 3 * j);
          detail::prefetch_write(grad + 3 * j);
          if (out != nullptr) detail::prefetch_write(out + 3 * j);
        });
    detail::require_held_planes(missing, "fd4 vjp");
  });
  return dot;
}

#define COSMOGRAD_INSTANTIATE(T)                                                                   \
  template void readout_fd4_gradient<T>(const Field<T>&, const Particles<T>&, double, PaintKernel, \
                                        double, T*, double, const PlaneOrder*);                    \
  template void paint_fd4_gradient_transpose<T>(Field<T>&, const Particles<T>&, double,            \
                                                PaintKernel, double, const T*, double,             \
                                                const PlaneOrder*);                                \
  template double readout_fd4_gradient_vjp_positions<T>(const Field<T>&, const Particles<T>&,      \
                                                        double, PaintKernel, double, const T*, T*, \
                                                        double, T*, const PlaneOrder*);
COSMOGRAD_INSTANTIATE(float)
COSMOGRAD_INSTANTIATE(double)
#undef COSMOGRAD_INSTANTIATE

}  // namespace cosmograd::sim
