#include "sim/painter.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace cosmograd::sim {
namespace {

/// Width in planes of a paint chunk; two same-colour chunks never touch the same plane
/// when the width is at least p - 1 (p <= 4). Fixed, so results do not depend on threads.
constexpr int kChunkWidth = 4;

/// Window weights along one axis: first touched mesh index and p weights.
/// u is the position in cell units, in [0, n).
template <class T>
inline int axis_weights(PaintKernel k, double u, T* w) {
  switch (k) {
    case PaintKernel::cic: {
      const double f = std::floor(u);
      const T t = static_cast<T>(u - f);
      w[0] = T(1) - t;
      w[1] = t;
      return static_cast<int>(f);
    }
    case PaintKernel::tsc: {
      const double c = std::floor(u + 0.5);
      const T d = static_cast<T>(u - c);  // in [-1/2, 1/2)
      w[0] = T(0.5) * (T(0.5) - d) * (T(0.5) - d);
      w[1] = T(0.75) - d * d;
      w[2] = T(0.5) * (T(0.5) + d) * (T(0.5) + d);
      return static_cast<int>(c) - 1;
    }
    case PaintKernel::pcs: {
      const double f = std::floor(u);
      const T t = static_cast<T>(u - f);
      const T s = T(1) - t;
      w[0] = s * s * s / T(6);
      w[1] = (T(4) - T(6) * t * t + T(3) * t * t * t) / T(6);
      w[2] = (T(4) - T(6) * s * s + T(3) * s * s * s) / T(6);
      w[3] = t * t * t / T(6);
      return static_cast<int>(f) - 1;
    }
  }
  return 0;
}

inline int wrap(int i, int n) {
  i %= n;
  return i < 0 ? i + n : i;
}

/// Position source: particles (lattice + displacement) or a plain xyz array.
template <class T>
struct ParticlePositions {
  const Particles<T>& p;
  std::size_t size() const { return p.size(); }
  double operator()(std::size_t j, int d) const { return p.position(j, d); }
};
template <class T>
struct ArrayPositions {
  const std::vector<T>& x;
  double box;
  std::size_t size() const { return x.size() / 3; }
  double operator()(std::size_t j, int d) const {
    double v = std::fmod(static_cast<double>(x[3 * j + d]), box);
    if (v < 0) v += box;
    return v >= box ? 0.0 : v;
  }
};

/// Scatters one particle at cell coordinates u[3] into the mesh.
template <class T>
inline void scatter(Field<T>& mesh, PaintKernel kernel, const double* u, T mass) {
  const Decomposition& d = mesh.decomp();
  const int n = d.n();
  const int p = paint_order(kernel);
  T wx[4], wy[4], wz[4];
  const int ix = axis_weights(kernel, u[0], wx);
  const int iy = axis_weights(kernel, u[1], wy);
  const int iz = axis_weights(kernel, u[2], wz);
  int zs[4];
  for (int c = 0; c < p; ++c) zs[c] = wrap(iz + c, n);
  for (int a = 0; a < p; ++a) {
    const int xl = wrap(ix + a, n) - d.x_begin();
    if (xl < 0 || xl >= d.nx_local()) continue;
    const T ma = mass * wx[a];
    for (int b = 0; b < p; ++b) {
      T* row = &mesh.at(xl, wrap(iy + b, n), 0);
      const T mab = ma * wy[b];
      for (int c = 0; c < p; ++c) row[zs[c]] += mab * wz[c];
    }
  }
}

template <class T, class Positions>
void paint_impl(Field<T>& mesh, const Positions& pos, double box, PaintKernel kernel, T mass,
                double shift) {
  const int n = mesh.n();
  const double inv_cell = n / box;
  const std::size_t np = pos.size();
  const int nchunks = std::max(1, n / kChunkWidth);
  // Bucket particles by the chunk of their first touched x plane (stable counting sort).
  std::vector<int> chunk_of(np);
#pragma omp parallel for schedule(static)
  for (std::size_t j = 0; j < np; ++j) {
    T w[4];
    double u = pos(j, 0) * inv_cell + shift;
    if (u >= n) u -= n;
    const int first = wrap(axis_weights(kernel, u, w), n);
    chunk_of[j] = std::min(first / kChunkWidth, nchunks - 1);
  }
  std::vector<std::size_t> start(static_cast<std::size_t>(nchunks) + 1, 0);
  for (std::size_t j = 0; j < np; ++j) ++start[static_cast<std::size_t>(chunk_of[j]) + 1];
  for (int c = 0; c < nchunks; ++c) start[c + 1] += start[c];
  std::vector<std::size_t> order(np);
  {
    std::vector<std::size_t> next(start.begin(), start.end() - 1);
    for (std::size_t j = 0; j < np; ++j) order[next[chunk_of[j]]++] = j;
  }
  auto paint_chunk = [&](int c) {
    for (std::size_t s = start[c]; s < start[c + 1]; ++s) {
      const std::size_t j = order[s];
      double u[3];
      for (int d = 0; d < 3; ++d) {
        u[d] = pos(j, d) * inv_cell + shift;
        if (u[d] >= n) u[d] -= n;
      }
      scatter(mesh, kernel, u, mass);
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

template <class T, class Positions>
void readout_impl(const Field<T>& mesh, const Positions& pos, double box, PaintKernel kernel,
                  T* out, std::size_t stride, double shift) {
  const Decomposition& d = mesh.decomp();
  const int n = d.n();
  const int p = paint_order(kernel);
  const double inv_cell = n / box;
  const std::size_t np = pos.size();
#pragma omp parallel for schedule(static)
  for (std::size_t j = 0; j < np; ++j) {
    T wx[4], wy[4], wz[4];
    const int ix = axis_weights(kernel, pos(j, 0) * inv_cell + shift, wx);
    const int iy = axis_weights(kernel, pos(j, 1) * inv_cell + shift, wy);
    const int iz = axis_weights(kernel, pos(j, 2) * inv_cell + shift, wz);
    int zs[4];
    for (int c = 0; c < p; ++c) zs[c] = wrap(iz + c, n);
    T sum = 0;
    for (int a = 0; a < p; ++a) {
      const int xl = wrap(ix + a, n) - d.x_begin();
      if (xl < 0 || xl >= d.nx_local()) continue;
      T sa = 0;
      for (int b = 0; b < p; ++b) {
        const T* row = mesh.real() + d.real_index(xl, wrap(iy + b, n), 0);
        T sb = 0;
        for (int c = 0; c < p; ++c) sb += wz[c] * row[zs[c]];
        sa += wy[b] * sb;
      }
      sum += wx[a] * sa;
    }
    out[stride * j] = sum;
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
  paint_impl(mesh, ParticlePositions<T>{particles}, box_size, kernel, mass, shift);
}

template <class T>
void paint(Field<T>& mesh, const std::vector<T>& positions, double box_size, PaintKernel kernel,
           T mass, double shift) {
  paint_impl(mesh, ArrayPositions<T>{positions, box_size}, box_size, kernel, mass, shift);
}

template <class T>
void readout(const Field<T>& mesh, const Particles<T>& particles, double box_size,
             PaintKernel kernel, T* out, std::size_t stride, double shift) {
  readout_impl(mesh, ParticlePositions<T>{particles}, box_size, kernel, out, stride, shift);
}

#define COSMOGRAD_INSTANTIATE(T)                                                               \
  template void paint<T>(Field<T>&, const Particles<T>&, double, PaintKernel, T, double);     \
  template void paint<T>(Field<T>&, const std::vector<T>&, double, PaintKernel, T, double);   \
  template void readout<T>(const Field<T>&, const Particles<T>&, double, PaintKernel, T*,     \
                           std::size_t, double);
COSMOGRAD_INSTANTIATE(float)
COSMOGRAD_INSTANTIATE(double)
#undef COSMOGRAD_INSTANTIATE

}  // namespace cosmograd::sim
