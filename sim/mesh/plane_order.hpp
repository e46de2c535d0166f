// PlaneOrder: particles sorted by the mesh plane (x) that holds them, so that the painters'
// x chunks are contiguous ranges and each chunk is painted plane by plane.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/mesh/particles.hpp"

namespace cosmograd::sim {

/// A stable counting sort of particles by the x plane of the mesh cell that holds them, at
/// positions shifted by `shift` cells. Within a plane the particles keep their index order:
/// the lattice (Lagrangian) order, which is already coherent in space, so a paint reads the
/// particles almost sequentially and touches few mesh rows at a time (a finer sort by (x, y)
/// row measured slower: benchmarks/results/pm_forward.md). Stable and parallel over fixed
/// particle ranges, so the order does not depend on the thread count. The buffers are kept
/// between sorts: re-sorting as particles move allocates nothing.
class PlaneOrder {
 public:
  /// Sorts the particles for an n^3 mesh over a box of side box_size [Mpc/h].
  template <class T>
  void sort(const Particles<T>& particles, int n, double box_size, double shift);
  /// Sorts points given as x, y, z triplets [Mpc/h] for an n^3 mesh over box_size.
  template <class T>
  void sort(const std::vector<T>& positions, int n, double box_size, double shift);

  /// Particle index at each sorted position (size() of them).
  const std::uint32_t* indices() const { return order_.data(); }
  /// Number of particles sorted.
  std::size_t size() const { return order_.size(); }
  /// Cells per side of the mesh sorted for.
  int mesh() const { return n_; }
  /// First sorted position of the particles whose cell lies in x plane >= x (x in [0, n]).
  std::size_t plane_begin(int x) const { return plane_start_[static_cast<std::size_t>(x)]; }
  /// Throws std::logic_error naming `who` unless this order was sorted for `count`
  /// particles on an n^3 mesh at `shift`.
  void require_matches(std::size_t count, int n, double shift, const char* who) const;

 private:
  template <class Positions>
  void sort_impl(const Positions& pos, int n, double shift);

  std::vector<std::uint32_t> order_;      // particle index by sorted position
  std::vector<std::uint32_t> plane_;      // x plane by particle
  std::vector<std::size_t> counts_;       // per thread and plane: count, then next slot
  std::vector<std::size_t> plane_start_;  // n + 1 plane offsets into order_
  int n_ = 0;
  double shift_ = 0;
};

}  // namespace cosmograd::sim
