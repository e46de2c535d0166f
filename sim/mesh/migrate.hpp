// Particle migration between the ranks of a slab decomposition: after every drift each
// particle moves to the rank owning its x plane, so painting and readout stay local (plus
// ghost planes).
#pragma once

#include <cstddef>
#include <vector>

#include "sim/mesh/particles.hpp"
#include "sim/mpi/decomposition.hpp"

namespace cosmograd::sim {

/// Global x plane of `mesh` holding particle j: floor(x n / L) wrapped into [0, n).
template <class T>
int particle_plane(const Particles<T>& p, std::size_t j, int n);

/// Sends every particle to the rank owning its x plane of `mesh` (particle_plane()), with
/// the arrays in `extras` (3 values per particle each, e.g. cotangents) travelling along.
/// Particles that stay keep their order; arrivals follow in source-rank order. Collective;
/// returns the number of particles that left this rank (0 when serial).
template <class T>
std::size_t migrate(Particles<T>& p, const Decomposition& mesh,
                    const std::vector<std::vector<T>*>& extras = {});

/// Sends every particle to the rank owning its Lagrangian (lattice) x plane on the particle
/// grid `grid` (n = n_side) and puts them in lattice order, as lpt_particles() made them
/// (the layout of lpt_vjp()'s cotangents); `extras` travel along. Collective.
template <class T>
void migrate_home(Particles<T>& p, const Decomposition& grid,
                  const std::vector<std::vector<T>*>& extras = {});

/// Moves all of this rank's particles to rank `dest` (collective; each rank may name its
/// own dest). Arrivals are in source-rank order.
template <class T>
void send_all(Particles<T>& p, int dest, const Comm& comm);

/// Particles per rank: {min, mean, max} over the ranks of `comm` (collective).
struct LoadBalance {
  double min = 0, mean = 0, max = 0;  ///< particles
  /// max / mean (1 = perfect balance).
  double imbalance() const { return mean > 0 ? max / mean : 1.0; }
};
/// The load balance of `local` particles on this rank.
LoadBalance load_balance(std::size_t local, const Comm& comm);

}  // namespace cosmograd::sim
