#include "sim/mesh/ghosts.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace cosmograd::sim {
namespace {

/// Local indices of this rank's ghost planes, low ones first.
std::vector<int> ghost_planes(const Decomposition& d) {
  std::vector<int> xl;
  for (int i = -d.ghost_lo(); i < 0; ++i) xl.push_back(i);
  for (int i = 0; i < d.ghost_hi(); ++i) xl.push_back(d.nx_local() + i);
  return xl;
}

template <class T>
const Decomposition& common_decomp(Field<T>* const* fields, int count) {
  if (count < 1) throw std::invalid_argument("ghost exchange: no fields");
  const Decomposition& d = fields[0]->decomp();
  for (int i = 1; i < count; ++i) {
    const Decomposition& e = fields[i]->decomp();
    if (e.n() != d.n() || e.x_begin() != d.x_begin() || e.ghost_lo() != d.ghost_lo() ||
        e.ghost_hi() != d.ghost_hi()) {
      throw std::invalid_argument("ghost exchange: fields of different layouts");
    }
  }
  return d;
}

/// Appends the record {plane, count padded planes} to buf.
template <class T>
void pack(std::vector<char>& buf, std::int64_t plane, Field<T>* const* fields, int count, int xl,
          std::size_t ps) {
  const std::size_t at = buf.size();
  buf.resize(at + sizeof(plane) + count * ps * sizeof(T));
  std::memcpy(buf.data() + at, &plane, sizeof(plane));
  for (int f = 0; f < count; ++f) {
    std::memcpy(buf.data() + at + sizeof(plane) + f * ps * sizeof(T), fields[f]->plane(xl),
                ps * sizeof(T));
  }
}

/// Calls f(global plane, pointer to the count planes' values) for every record of buf.
template <class T, class F>
void unpack(const std::vector<char>& buf, int count, std::size_t ps, const F& f) {
  const std::size_t record = sizeof(std::int64_t) + count * ps * sizeof(T);
  std::vector<T> values(count * ps);
  for (std::size_t at = 0; at + record <= buf.size(); at += record) {
    std::int64_t plane = 0;
    std::memcpy(&plane, buf.data() + at, sizeof(plane));
    std::memcpy(values.data(), buf.data() + at + sizeof(plane), values.size() * sizeof(T));
    f(static_cast<int>(plane), values.data());
  }
}

}  // namespace

Decomposition with_paint_ghosts(const Decomposition& target, const Decomposition& particles_mesh,
                                PaintKernel kernel) {
  if (!target.distributed()) return target;
  if (particles_mesh.nx_local() == 0) return target;  // no particles here
  // This rank's particles have u in [xb, xe) on particles_mesh (migrate() floors the
  // painter's own u), so v = u + shift lies in [xb, xe + 1] allowing for the rounding of the
  // sum; the window's support gives the planes it touches (sim/mesh/window.hpp).
  if (target.n() == particles_mesh.n()) {
    const Window& w = window(kernel);
    return target.with_ghosts(w.ghost_lo(), w.ghost_hi());
  }
  // Another mesh: scale the slab, with one plane of margin for rounding on each side.
  const Window& w = window(kernel);
  const double r = static_cast<double>(target.n()) / particles_mesh.n();
  const int xb = particles_mesh.x_begin(), xe = xb + particles_mesh.nx_local();
  const int first = static_cast<int>(std::floor(xb * r)) - 1 - w.ghost_lo();
  const int end = static_cast<int>(std::floor(xe * r)) + 2 + w.ghost_hi();
  const int lo = std::max(0, target.x_begin() - first);
  const int hi = std::max(0, end - (target.x_begin() + target.nx_local()));
  return target.with_ghosts(lo, hi);
}

template <class T>
void reduce_ghosts(Field<T>* const* fields, int count) {
  const Decomposition& d = common_decomp(fields, count);
  if (!d.distributed()) return;
  const Comm& comm = d.comm();
  const std::size_t ps = d.plane_size();
  std::vector<std::vector<char>> send(static_cast<std::size_t>(comm.size()));
  for (int xl : ghost_planes(d)) {
    const int g = d.global_plane(xl);
    pack(send[static_cast<std::size_t>(d.owner(g))], g, fields, count, xl, ps);
  }
  const std::vector<std::vector<char>> got = comm.exchange_bytes(send);
  for (const std::vector<char>& buf : got) {  // in rank order: a fixed summation order
    unpack<T>(buf, count, ps, [&](int g, const T* v) {
      const int xl = g - d.x_begin();
      if (xl < 0 || xl >= d.nx_local()) {
        throw std::logic_error("reduce_ghosts: plane " + std::to_string(g) + " is not owned here");
      }
      for (int f = 0; f < count; ++f) {
        T* dst = fields[f]->plane(xl);
        const T* src = v + f * ps;
        for (std::size_t i = 0; i < ps; ++i) dst[i] += src[i];
      }
    });
  }
  for (int f = 0; f < count; ++f) fields[f]->fill_ghosts(T(0));
}

template <class T>
void fill_ghosts(Field<T>* const* fields, int count) {
  const Decomposition& d = common_decomp(fields, count);
  if (!d.distributed()) return;
  const Comm& comm = d.comm();
  const std::size_t ps = d.plane_size();
  const std::size_t p = static_cast<std::size_t>(comm.size());
  // Ask each owner for the planes this rank shadows, then send what was asked of us.
  std::vector<std::vector<std::int64_t>> ask(p);
  for (int xl : ghost_planes(d)) {
    const int g = d.global_plane(xl);
    ask[static_cast<std::size_t>(d.owner(g))].push_back(g);
  }
  const std::vector<std::vector<std::int64_t>> asked = comm.exchange(ask);
  std::vector<std::vector<char>> send(p);
  for (std::size_t r = 0; r < p; ++r) {
    for (std::int64_t g : asked[r]) {
      const int xl = static_cast<int>(g) - d.x_begin();
      if (xl < 0 || xl >= d.nx_local()) {
        throw std::logic_error("fill_ghosts: plane " + std::to_string(g) + " is not owned here");
      }
      pack(send[r], g, fields, count, xl, ps);
    }
  }
  const std::vector<std::vector<char>> got = comm.exchange_bytes(send);
  for (const std::vector<char>& buf : got) {
    unpack<T>(buf, count, ps, [&](int g, const T* v) {
      const int xl = d.local_plane(g);
      for (int f = 0; f < count; ++f) std::memcpy(fields[f]->plane(xl), v + f * ps, ps * sizeof(T));
    });
  }
}

#define COSMOGRAD_INSTANTIATE(T)                         \
  template void reduce_ghosts<T>(Field<T>* const*, int); \
  template void fill_ghosts<T>(Field<T>* const*, int);
COSMOGRAD_INSTANTIATE(float)
COSMOGRAD_INSTANTIATE(double)
#undef COSMOGRAD_INSTANTIATE

}  // namespace cosmograd::sim
