#include "sim/mesh/migrate.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "sim/mesh/detail/paint_loops.hpp"

namespace cosmograd::sim {
namespace {

/// Moves particle j to the rank dest[j]; returns how many left.
template <class T>
std::size_t route(Particles<T>& p, const std::vector<int>& dest, const Comm& comm,
                  const std::vector<std::vector<T>*>& extras) {
  const std::size_t np = p.size();
  const std::size_t ne = extras.size();
  for (const std::vector<T>* e : extras) {
    if (e->size() != 3 * np) {
      throw std::invalid_argument("migrate: an attached array holds " + std::to_string(e->size()) +
                                  " values for " + std::to_string(np) + " particles (need 3 each)");
    }
  }
  const std::size_t record = sizeof(std::uint64_t) + (6 + 3 * ne) * sizeof(T);
  std::vector<std::vector<char>> send(static_cast<std::size_t>(comm.size()));
  // Particles before the first leaver stay where they are.
  std::size_t kept = 0, left = 0;
  while (kept < np && dest[kept] == comm.rank()) ++kept;
  for (std::size_t j = kept; j < np; ++j) {
    if (dest[j] == comm.rank()) {  // compact the stayers in order
      p.id[kept] = p.id[j];
      for (int d = 0; d < 3; ++d) {
        p.disp[3 * kept + d] = p.disp[3 * j + d];
        p.mom[3 * kept + d] = p.mom[3 * j + d];
        for (std::vector<T>* e : extras) (*e)[3 * kept + d] = (*e)[3 * j + d];
      }
      ++kept;
      continue;
    }
    ++left;
    std::vector<char>& b = send[static_cast<std::size_t>(dest[j])];
    std::size_t at = b.size();
    b.resize(at + record);
    std::memcpy(b.data() + at, &p.id[j], sizeof(std::uint64_t));
    at += sizeof(std::uint64_t);
    std::memcpy(b.data() + at, &p.disp[3 * j], 3 * sizeof(T));
    std::memcpy(b.data() + at + 3 * sizeof(T), &p.mom[3 * j], 3 * sizeof(T));
    for (std::size_t e = 0; e < ne; ++e) {
      std::memcpy(b.data() + at + (6 + 3 * e) * sizeof(T), &(*extras[e])[3 * j], 3 * sizeof(T));
    }
  }
  const std::vector<std::vector<char>> got = comm.exchange_bytes(send);
  std::size_t total = kept;
  for (const auto& b : got) total += b.size() / record;
  p.id.resize(total);
  p.disp.resize(3 * total);
  p.mom.resize(3 * total);
  for (std::vector<T>* e : extras) e->resize(3 * total);
  std::size_t j = kept;
  for (const auto& b : got) {
    for (std::size_t at = 0; at + record <= b.size(); at += record, ++j) {
      std::memcpy(&p.id[j], b.data() + at, sizeof(std::uint64_t));
      const char* v = b.data() + at + sizeof(std::uint64_t);
      std::memcpy(&p.disp[3 * j], v, 3 * sizeof(T));
      std::memcpy(&p.mom[3 * j], v + 3 * sizeof(T), 3 * sizeof(T));
      for (std::size_t e = 0; e < ne; ++e) {
        std::memcpy(&(*extras[e])[3 * j], v + (6 + 3 * e) * sizeof(T), 3 * sizeof(T));
      }
    }
  }
  return left;
}

/// The x plane in [0, n) of a position u [cells].
inline int wrapped_plane(double u, int n) {
  long long c = static_cast<long long>(fast_floor(u));
  if (c < 0 || c >= n) c = ((c % n) + n) % n;
  return static_cast<int>(c);
}

}  // namespace

template <class T>
int particle_plane(const Particles<T>& p, std::size_t j, int n) {
  // The painter's positions (detail::LatticePositions): lattice cells plus displacement cells.
  double u[3];
  detail::LatticePositions<T>(p, n / p.box_size)(j, 0.0, u);
  return wrapped_plane(u[0], n);
}

template <class T>
std::size_t migrate(Particles<T>& p, const Decomposition& mesh,
                    const std::vector<std::vector<T>*>& extras) {
  if (!mesh.distributed()) return 0;
  const int n = mesh.n();
  std::vector<int> owner(static_cast<std::size_t>(n));  // rank by global plane
  for (int x = 0; x < n; ++x) owner[static_cast<std::size_t>(x)] = mesh.owner(x);
  const detail::LatticePositions<T> pos(p, n / p.box_size);
  std::vector<int> dest(p.size());
#pragma omp parallel for schedule(static)
  for (std::size_t j = 0; j < p.size(); ++j) {
    double u[3];
    pos(j, 0.0, u);
    dest[j] = owner[static_cast<std::size_t>(wrapped_plane(u[0], n))];
  }
  return route(p, dest, mesh.comm(), extras);
}

template <class T>
void migrate_home(Particles<T>& p, const Decomposition& grid,
                  const std::vector<std::vector<T>*>& extras) {
  const std::uint64_t ns = static_cast<std::uint64_t>(grid.n());
  if (static_cast<int>(ns) != p.n_side) {
    throw std::invalid_argument("migrate_home: grid of " + std::to_string(grid.n()) +
                                " planes for particles of n_side " + std::to_string(p.n_side));
  }
  if (grid.distributed()) {
    std::vector<int> dest(p.size());
#pragma omp parallel for schedule(static)
    for (std::size_t j = 0; j < p.size(); ++j) {
      dest[j] = grid.owner(static_cast<int>(p.id[j] / (ns * ns)));
    }
    route(p, dest, grid.comm(), extras);
  }
  // Lattice order: slot = id - first id of the slab.
  const std::size_t m = grid.local_cells();
  if (p.size() != m) {
    throw std::logic_error("migrate_home: " + std::to_string(p.size()) +
                           " particles for a slab of " + std::to_string(m) + " lattice sites");
  }
  const std::uint64_t first = static_cast<std::uint64_t>(grid.x_begin()) * ns * ns;
  bool ordered = true;
  for (std::size_t j = 0; j < m && ordered; ++j) ordered = p.id[j] == first + j;
  if (ordered) return;
  Particles<T> q;
  q.n_side = p.n_side;
  q.box_size = p.box_size;
  q.resize(m);
  std::vector<std::vector<T>> ex(extras.size(), std::vector<T>(3 * m));
  for (std::size_t j = 0; j < m; ++j) {
    const std::size_t s = static_cast<std::size_t>(p.id[j] - first);
    if (s >= m) throw std::logic_error("migrate_home: particle id outside the slab");
    q.id[s] = p.id[j];
    for (int d = 0; d < 3; ++d) {
      q.disp[3 * s + d] = p.disp[3 * j + d];
      q.mom[3 * s + d] = p.mom[3 * j + d];
      for (std::size_t e = 0; e < extras.size(); ++e) ex[e][3 * s + d] = (*extras[e])[3 * j + d];
    }
  }
  p = std::move(q);
  for (std::size_t e = 0; e < extras.size(); ++e) *extras[e] = std::move(ex[e]);
}

template <class T>
void send_all(Particles<T>& p, int dest, const Comm& comm) {
  if (!comm.distributed()) return;
  route(p, std::vector<int>(p.size(), dest), comm, {});
}

LoadBalance load_balance(std::size_t local, const Comm& comm) {
  const double x = static_cast<double>(local);
  LoadBalance b;
  b.min = comm.min(x);
  b.max = comm.max(x);
  b.mean = comm.sum(x) / comm.size();
  return b;
}

#define COSMOGRAD_INSTANTIATE(T)                                         \
  template int particle_plane<T>(const Particles<T>&, std::size_t, int); \
  template std::size_t migrate<T>(Particles<T>&, const Decomposition&,   \
                                  const std::vector<std::vector<T>*>&);  \
  template void migrate_home<T>(Particles<T>&, const Decomposition&,     \
                                const std::vector<std::vector<T>*>&);    \
  template void send_all<T>(Particles<T>&, int, const Comm&);
COSMOGRAD_INSTANTIATE(float)
COSMOGRAD_INSTANTIATE(double)
#undef COSMOGRAD_INSTANTIATE

}  // namespace cosmograd::sim
