// Particles<T>: Lagrangian lattice index, displacement from the lattice, momentum.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace cosmograd::sim {

/// Particles of an n_side^3 lattice in a periodic box. Particle j has lattice index
/// id[j] = (ix n + iy) n + iz and Lagrangian position q = (ix, iy, iz) L / n_side.
/// Its position is x = q + disp (wrapped into [0, L) when used); disp is kept
/// unwrapped so float32 keeps its precision in big boxes. Momentum
/// p = a^2 dx/dt / H0 [Mpc/h] (sim/core/units.hpp). T = float or double.
template <class T>
struct Particles {
  int n_side = 0;                 ///< particles per side of the lattice
  double box_size = 0;            ///< box side L [Mpc/h]
  std::vector<std::uint64_t> id;  ///< lattice index, one per particle
  std::vector<T> disp;            ///< displacement from the lattice [Mpc/h], 3 per particle
  std::vector<T> mom;             ///< momentum p [Mpc/h], 3 per particle

  /// Number of particles held here.
  std::size_t size() const { return id.size(); }
  /// Lagrangian coordinate `dim` of particle j [Mpc/h].
  double lattice(std::size_t j, int dim) const {
    const std::uint64_t n = static_cast<std::uint64_t>(n_side);
    const std::uint64_t i = id[j];
    const std::uint64_t c = dim == 0 ? i / (n * n) : dim == 1 ? (i / n) % n : i % n;
    return static_cast<double>(c) * box_size / n_side;
  }
  /// Position coordinate `dim` of particle j, wrapped into [0, L) [Mpc/h].
  double position(std::size_t j, int dim) const {
    double x = lattice(j, dim) + static_cast<double>(disp[3 * j + dim]);
    x = std::fmod(x, box_size);
    if (x < 0) x += box_size;
    return x >= box_size ? 0.0 : x;
  }
  /// Resizes to m particles (ids, displacements and momenta zeroed).
  void resize(std::size_t m) {
    id.assign(m, 0);
    disp.assign(3 * m, T(0));
    mom.assign(3 * m, T(0));
  }
  /// Points at arbitrary positions (3 coordinates each [Mpc/h]) as particles for the painters:
  /// a 1^3 "lattice" whose only site is the origin, each point displaced to its position, at
  /// rest (lattice indices are meaningless).
  template <class U>
  static Particles at_positions(const std::vector<U>& pos, double box_size) {
    Particles p;
    p.n_side = 1;
    p.box_size = box_size;
    p.resize(pos.size() / 3);
    for (std::size_t i = 0; i < 3 * p.size(); ++i) p.disp[i] = static_cast<T>(pos[i]);
    return p;
  }
  /// All n_side^3 particles on the lattice, at rest.
  static Particles lattice_grid(int n_side, double box_size) {
    Particles p;
    p.n_side = n_side;
    p.box_size = box_size;
    const std::size_t m = static_cast<std::size_t>(n_side) * n_side * n_side;
    p.resize(m);
    for (std::size_t j = 0; j < m; ++j) p.id[j] = j;
    return p;
  }
};

}  // namespace cosmograd::sim
