// The fd4 gradient read out with the CIC window at one particle (sim/mesh/fd4_readout.cpp's
// fast path): the 6 planes and 6 rows around the particle's (x, y) row are found once per
// row, and the particle's z cells are read as pairs (z, z + 1) of doubles, SSE2 where the
// target has it. Internal to sim/mesh.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sim/mesh/field.hpp"
#include "sim/mesh/window_weights.hpp"

namespace cosmograd::sim::detail {

#if defined(__SSE2__)
/// Two doubles, the values at cells z and z + 1.
struct Pair {
  __m128d v;
  static Pair splat(double x) { return {_mm_set1_pd(x)}; }
  static Pair of(double lo, double hi) { return {_mm_set_pd(hi, lo)}; }
  static Pair load(const float* p) {
    return {_mm_cvtps_pd(_mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))))};
  }
  static Pair load(const double* p) { return {_mm_loadu_pd(p)}; }
  /// p[0] += float(lo), p[1] += float(hi): rounded to float, then added in float.
  static void add_to(float* p, Pair x) {
    __m128i* q = reinterpret_cast<__m128i*>(p);
    const __m128 old = _mm_castsi128_ps(_mm_loadl_epi64(q));
    _mm_storel_epi64(q, _mm_castps_si128(_mm_add_ps(old, _mm_cvtpd_ps(x.v))));
  }
  /// p[0] += lo, p[1] += hi.
  static void add_to(double* p, Pair x) { _mm_storeu_pd(p, _mm_add_pd(_mm_loadu_pd(p), x.v)); }
  double lo() const { return _mm_cvtsd_f64(v); }
  double hi() const { return _mm_cvtsd_f64(_mm_unpackhi_pd(v, v)); }
  friend Pair operator+(Pair a, Pair b) { return {_mm_add_pd(a.v, b.v)}; }
  friend Pair operator-(Pair a, Pair b) { return {_mm_sub_pd(a.v, b.v)}; }
  friend Pair operator*(Pair a, Pair b) { return {_mm_mul_pd(a.v, b.v)}; }
};
#else
/// Two doubles, the values at cells z and z + 1.
struct Pair {
  double l, h;
  static Pair splat(double x) { return {x, x}; }
  static Pair of(double lo, double hi) { return {lo, hi}; }
  template <class T>
  static Pair load(const T* p) {
    return {static_cast<double>(p[0]), static_cast<double>(p[1])};
  }
  /// p[0] += T(lo), p[1] += T(hi).
  template <class T>
  static void add_to(T* p, Pair x) {
    p[0] += static_cast<T>(x.l);
    p[1] += static_cast<T>(x.h);
  }
  double lo() const { return l; }
  double hi() const { return h; }
  friend Pair operator+(Pair a, Pair b) { return {a.l + b.l, a.h + b.h}; }
  friend Pair operator-(Pair a, Pair b) { return {a.l - b.l, a.h - b.h}; }
  friend Pair operator*(Pair a, Pair b) { return {a.l * b.l, a.h * b.h}; }
};
#endif

/// a . b
inline double dot(Pair a, Pair b) {
  const Pair m = a * b;
  return m.lo() + m.hi();
}

/// 12 D^T w for the CIC weights w = (1 - t, t) [cells]: the weights of the 6 cells first - 2
/// .. first + 3 in 12 sum_a w[a] (D f)(first + a), D FastPM's 4th-order difference
/// (sim/mesh/fd4_readout.hpp).
inline void cic_fd4_weights(double t, double* e) {
  const double w0 = 1.0 - t, w1 = t;
  e[0] = w0;
  e[1] = -8.0 * w0 + w1;
  e[2] = -8.0 * w1;
  e[3] = 8.0 * w0;
  e[4] = 8.0 * w1 - w0;
  e[5] = -w1;
}

/// 12 D^T dw/dt for the CIC weights, dw/dt = (-1, 1) (cic_fd4_weights()'s derivative).
inline constexpr double kCicFd4Slopes[6] = {-1.0, 9.0, -8.0, -8.0, 9.0, -1.0};

/// The CIC weights of a particle at offsets t in its cell: w = (1 - t, t) along x and y, as a
/// pair along z, and e = 12 D^T w along each axis (cic_fd4_weights()), as pairs along z.
struct CicFd4Weights {
  double wx[2], wy[2], ex[6], ey[6];
  Pair wz, e_z[3];  // (w_z at z, z + 1); e along z as the pairs (z-2, z-1), (z, z+1), (z+2, z+3)
  template <class T>
  explicit CicFd4Weights(const T* t) {
    const double tx = static_cast<double>(t[0]), ty = static_cast<double>(t[1]),
                 tz = static_cast<double>(t[2]);
    wx[0] = 1.0 - tx;
    wx[1] = tx;
    wy[0] = 1.0 - ty;
    wy[1] = ty;
    cic_fd4_weights(tx, ex);
    cic_fd4_weights(ty, ey);
    double ez[6];
    cic_fd4_weights(tz, ez);
    wz = Pair::of(1.0 - tz, tz);
    for (int m = 0; m < 3; ++m) e_z[m] = Pair::of(ez[2 * m], ez[2 * m + 1]);
  }
};

/// The mesh rows of the stencil's cross around row (x, y) of a mesh: along_x[i][b] is row
/// y + b of plane x - 2 + i, along_y[a][j] row y - 2 + j of plane x + a (i, j < 6; a, b < 2);
/// `held` is false when this rank lacks one of the planes x - 2 .. x + 3. T is const for
/// reading (const Field), plain for adding into the mesh.
template <class T>
struct Fd4Rows {
  T* along_x[6][2];
  T* along_y[2][6];
  bool held = true;

  template <class Mesh>
  Fd4Rows(Mesh& mesh, int x, int y) {
    const Decomposition& d = mesh.decomp();
    int planes[6], rows[6];
    wrapped_indices<6>(x - 2, d.n(), planes);
    wrapped_indices<6>(y - 2, d.n(), rows);
    T* plane[6];
    for (int a = 0; a < 6; ++a) {
      const int xl = d.local_plane(planes[a]);
      held = held && xl != Decomposition::kNotHeld;
      plane[a] = xl == Decomposition::kNotHeld ? nullptr : mesh.plane(xl);
    }
    if (!held) return;
    const auto offset = [&](int j) { return static_cast<std::size_t>(rows[j]) * d.nz_padded(); };
    for (int i = 0; i < 6; ++i) {
      for (int b = 0; b < 2; ++b) along_x[i][b] = plane[i] + offset(2 + b);
    }
    for (int a = 0; a < 2; ++a) {
      for (int j = 0; j < 6; ++j) along_y[a][j] = plane[2 + a] + offset(j);
    }
  }
};

/// 12 sum_cells W (D_d mesh)(cell) for the CIC window at z cell z (with z - 2 .. z + 3 inside
/// the mesh row: no wrap) and offsets t in the cell, the planes and rows of its row in
/// `k`, into out[d]; with Deriv also jac[m][d] = 12 d out[m] / d t_d [per cell]. out is
/// computed by the same operations either way.
template <bool Deriv, class T>
inline void cic_fd4(const Fd4Rows<const T>& k, int z, const T* t, double* out,
                    double (*jac)[3] = nullptr) {
  const CicFd4Weights cw(t);
  const auto at = [z](const T* row, int dz) { return Pair::load(row + z + dz); };
  const Pair zero = Pair::splat(0.0);
  // x arm: sum_i e_x[i] (w_y . rows 2, 3 of plane i); the central pairs kept for the others
  Pair central[2][2];
  Pair ax = zero;
  [[maybe_unused]] Pair ax_x = zero, ax_y = zero;
  for (int i = 0; i < 6; ++i) {
    const Pair p2 = at(k.along_x[i][0], 0), p3 = at(k.along_x[i][1], 0);
    if (i == 2 || i == 3) {
      central[i - 2][0] = p2;
      central[i - 2][1] = p3;
    }
    const Pair xi = Pair::splat(cw.wy[0]) * p2 + Pair::splat(cw.wy[1]) * p3;
    ax = ax + Pair::splat(cw.ex[i]) * xi;
    if constexpr (Deriv) {
      ax_x = ax_x + Pair::splat(kCicFd4Slopes[i]) * xi;
      ax_y = ax_y + Pair::splat(cw.ex[i]) * (p3 - p2);
    }
  }
  // y arm: sum_j e_y[j] (w_x . planes 2, 3 at row j)
  Pair ay = zero;
  [[maybe_unused]] Pair ay_x = zero, ay_y = zero;
  for (int j = 0; j < 6; ++j) {
    const bool c = j == 2 || j == 3;
    const Pair q2 = c ? central[0][j - 2] : at(k.along_y[0][j], 0);
    const Pair q3 = c ? central[1][j - 2] : at(k.along_y[1][j], 0);
    const Pair yj = Pair::splat(cw.wx[0]) * q2 + Pair::splat(cw.wx[1]) * q3;
    ay = ay + Pair::splat(cw.ey[j]) * yj;
    if constexpr (Deriv) {
      ay_x = ay_x + Pair::splat(cw.ey[j]) * (q3 - q2);
      ay_y = ay_y + Pair::splat(kCicFd4Slopes[j]) * yj;
    }
  }
  // z arm: the window's rows weighted, as the pairs (z-2, z-1), (z, z+1), (z+2, z+3)
  Pair r[3] = {zero, zero, zero};
  [[maybe_unused]] Pair r_x[3] = {zero, zero, zero}, r_y[3] = {zero, zero, zero};
  for (int a = 0; a < 2; ++a) {
    for (int b = 0; b < 2; ++b) {
      const T* row = k.along_x[2 + a][b];
      const Pair v[3] = {at(row, -2), central[a][b], at(row, 2)};
      const Pair wab = Pair::splat(cw.wx[a] * cw.wy[b]);
      for (int m = 0; m < 3; ++m) r[m] = r[m] + wab * v[m];
      if constexpr (Deriv) {
        const Pair dx = Pair::splat(a == 0 ? -cw.wy[b] : cw.wy[b]);  // dw_x/dt_x = (-1, 1)
        const Pair dy = Pair::splat(b == 0 ? -cw.wx[a] : cw.wx[a]);
        for (int m = 0; m < 3; ++m) {
          r_x[m] = r_x[m] + dx * v[m];
          r_y[m] = r_y[m] + dy * v[m];
        }
      }
    }
  }
  const auto z_sum = [&](const Pair* s, const Pair* e) {
    return dot(s[0], e[0]) + dot(s[1], e[1]) + dot(s[2], e[2]);
  };
  out[0] = dot(ax, cw.wz);
  out[1] = dot(ay, cw.wz);
  out[2] = z_sum(r, cw.e_z);
  if constexpr (Deriv) {
    const Pair de_z[3] = {Pair::of(kCicFd4Slopes[0], kCicFd4Slopes[1]),
                          Pair::of(kCicFd4Slopes[2], kCicFd4Slopes[3]),
                          Pair::of(kCicFd4Slopes[4], kCicFd4Slopes[5])};
    jac[0][0] = dot(ax_x, cw.wz);
    jac[0][1] = dot(ax_y, cw.wz);
    jac[0][2] = ax.hi() - ax.lo();  // dw_z/dt_z = (-1, 1)
    jac[1][0] = dot(ay_x, cw.wz);
    jac[1][1] = dot(ay_y, cw.wz);
    jac[1][2] = ay.hi() - ay.lo();
    jac[2][0] = z_sum(r_x, cw.e_z);
    jac[2][1] = z_sum(r_y, cw.e_z);
    jac[2][2] = z_sum(r, de_z);
  }
}

/// The transpose of cic_fd4() (without Deriv): adds sum_d c[d] (12 D_d^T W)(cell) to the
/// mesh rows of k for the CIC window at z cell z (z - 2 .. z + 3 inside the row) and offsets
/// t; each value is formed in double and rounded to the mesh's precision before it is added.
template <class T>
inline void cic_fd4_transpose(const Fd4Rows<T>& k, int z, const T* t, const double* c) {
  const CicFd4Weights cw(t);
  for (int i = 0; i < 6; ++i) {  // x arm
    for (int b = 0; b < 2; ++b) {
      Pair::add_to(k.along_x[i][b] + z, Pair::splat(c[0] * cw.ex[i] * cw.wy[b]) * cw.wz);
    }
  }
  for (int a = 0; a < 2; ++a) {  // y arm
    for (int j = 0; j < 6; ++j) {
      Pair::add_to(k.along_y[a][j] + z, Pair::splat(c[1] * cw.wx[a] * cw.ey[j]) * cw.wz);
    }
  }
  for (int a = 0; a < 2; ++a) {  // z arm
    for (int b = 0; b < 2; ++b) {
      T* row = k.along_x[2 + a][b] + z - 2;
      const Pair f = Pair::splat(c[2] * cw.wx[a] * cw.wy[b]);
      for (int m = 0; m < 3; ++m) Pair::add_to(row + 2 * m, f * cw.e_z[m]);
    }
  }
}

}  // namespace cosmograd::sim::detail
