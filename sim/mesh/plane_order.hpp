// PlaneOrder: particles sorted by the mesh row (x plane, then y) of the cell that holds them,
// with each one's cell and offsets in it kept in sorted order, so that the painters' x chunks
// are contiguous ranges and the CIC paint and readouts stream through the particles and the
// mesh together.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "sim/mesh/particles.hpp"

namespace cosmograd::sim {

/// A stable counting sort of particles by the (x, y) row of the mesh cell that holds them, at
/// positions shifted by `shift` cells. Within a row the particles keep their index order (the
/// lattice order, which is coherent in space). Stable and parallel over fixed particle
/// ranges, so the order does not depend on the thread count. Beside each sorted particle it
/// keeps the z cell and the offsets u - floor(u) in the cell along x, y, z (in the
/// particles' precision): a CIC paint or readout walking the order reads 20 (float) or 32
/// (double) contiguous bytes per particle instead of gathering its id and displacement
/// (benchmarks/results/pm_forward.md). The buffers are kept between sorts: re-sorting as
/// particles move allocates nothing.
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
  /// Global z cell of each sorted particle.
  const std::uint32_t* cell_z() const { return cell_z_.data(); }
  /// Offsets u - floor(u) in the cell [cells], 3 per sorted particle (x, y, z), for a sort
  /// of particles of precision T; nullptr when the sort was of the other precision.
  template <class T>
  const T* offsets() const {
    const std::vector<T>& v = offsets_of<T>();
    return v.size() == 3 * order_.size() ? v.data() : nullptr;
  }
  /// Number of particles sorted.
  std::size_t size() const { return order_.size(); }
  /// Cells per side of the mesh sorted for.
  int mesh() const { return n_; }
  /// First sorted position of the particles whose cell lies in row >= r = x n + y (r in
  /// [0, n^2]).
  std::size_t row_begin(std::size_t r) const { return row_start_[r]; }
  /// First sorted position of the particles whose cell lies in x plane >= x (x in [0, n]).
  std::size_t plane_begin(int x) const {
    return row_start_[static_cast<std::size_t>(x) * static_cast<std::size_t>(n_)];
  }
  /// Throws std::logic_error naming `who` unless this order was sorted for `count`
  /// particles on an n^3 mesh at `shift`.
  void require_matches(std::size_t count, int n, double shift, const char* who) const;

 private:
  template <class T, class Positions>
  void sort_impl(const Positions& pos, int n, double shift);
  template <class T>
  std::vector<T>& offsets_of() {
    if constexpr (std::is_same_v<T, float>) {
      return offsets_f_;
    } else {
      return offsets_d_;
    }
  }
  template <class T>
  const std::vector<T>& offsets_of() const {
    return const_cast<PlaneOrder*>(this)->offsets_of<T>();
  }

  std::vector<std::uint32_t> order_;    // particle index by sorted position
  std::vector<std::uint32_t> cell_z_;   // z cell by sorted position
  std::vector<float> offsets_f_;        // 3 offsets by sorted position (float sorts)
  std::vector<double> offsets_d_;       // 3 offsets by sorted position (double sorts)
  std::vector<std::uint32_t> counts_;   // per thread and row: count, then next slot
  std::vector<std::size_t> row_start_;  // n^2 + 1 row offsets into order_
  int n_ = 0;
  double shift_ = 0;
};

}  // namespace cosmograd::sim
