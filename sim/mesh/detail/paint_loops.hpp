// The loops the painters share (sim/mesh/painter.cpp, sim/mesh/fd4_readout.cpp,
// sim/mesh/plane_order.cpp): particle positions in cell units, the thread helpers, the
// race-free chunked scatter over a PlaneOrder, the gather and the fixed-order reduction in
// particle order. Internal to sim/mesh.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sim/mesh/particles.hpp"
#include "sim/mesh/plane_order.hpp"
#include "sim/mesh/window.hpp"
#include "sim/mesh/window_weights.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace cosmograd::sim::detail {

/// OpenMP's thread budget (1 without OpenMP).
inline int max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/// This thread's index in the current parallel region (0 without OpenMP).
inline int thread_index() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

/// Positions in cell units of particles on a lattice: u = (q + disp) n_mesh / L + shift.
/// No wrapping is needed: the window indices are wrapped.
template <class T>
struct LatticePositions {
  const Particles<T>& p;
  double inv_cell;  // cells per Mpc/h

  LatticePositions(const Particles<T>& particles, double mesh_inv_cell)
      : p(particles),
        inv_cell(mesh_inv_cell),
        lattice_to_cells_(particles.box_size / particles.n_side * mesh_inv_cell),
        n_(static_cast<std::uint64_t>(particles.n_side)),
        inv_n_(1.0 / particles.n_side) {}
  std::size_t size() const { return p.size(); }
  [[gnu::always_inline]] void operator()(std::size_t j, double shift, double* u) const {
    // id = (ix n + iy) n + iz, split without integer division (exact for id < 2^52).
    const std::uint64_t id = p.id[j];
    const std::uint64_t q1 = quotient(id), iz = id - q1 * n_;
    const std::uint64_t ix = quotient(q1), iy = q1 - ix * n_;
    const std::uint64_t c[3] = {ix, iy, iz};
    for (int d = 0; d < 3; ++d) {
      u[d] = static_cast<double>(c[d]) * lattice_to_cells_ +
             static_cast<double>(p.disp[3 * j + d]) * inv_cell + shift;
    }
  }

 private:
  /// floor(v / n) by a floating-point estimate and one integer correction.
  [[gnu::always_inline]] std::uint64_t quotient(std::uint64_t v) const {
    std::uint64_t q = static_cast<std::uint64_t>(static_cast<double>(v) * inv_n_);
    if (q * n_ > v) {
      --q;
    } else if ((q + 1) * n_ <= v) {
      ++q;
    }
    return q;
  }
  double lattice_to_cells_;  // n_mesh / n_side
  std::uint64_t n_;
  double inv_n_;
};

/// Positions in cell units of points given as x, y, z triplets [Mpc/h].
template <class T>
struct ArrayPositions {
  const std::vector<T>& x;
  double inv_cell;  // cells per Mpc/h
  std::size_t size() const { return x.size() / 3; }
  [[gnu::always_inline]] void operator()(std::size_t j, double shift, double* u) const {
    for (int d = 0; d < 3; ++d) u[d] = static_cast<double>(x[3 * j + d]) * inv_cell + shift;
  }
};

/// Throws std::logic_error when `missing` window planes fell outside this rank's slab and
/// ghosts (distributed meshes: particles not migrated to this slab, or too few ghost
/// planes), instead of dropping their share silently.
inline void require_held_planes(std::size_t missing, const char* who) {
  if (missing > 0) {
    throw std::logic_error(std::string(who) + ": " + std::to_string(missing) +
                           " window planes lie outside this rank's slab and ghosts (migrate the "
                           "particles for this mesh; ghosts from with_paint_ghosts)");
  }
}

/// Planes one particle's scatter touches around floor(u_x), for a window of `support` cells
/// widened by `extra` planes each side (a difference stencil): below + above
/// (window_reach_below/above, sim/mesh/window.hpp), the least chunk width.
inline int scatter_span(int support, int extra) {
  return window_reach_below(support) + window_reach_above(support) + 2 * extra;
}

/// Calls scatter_row(r, s0, s1) (returning the window planes it skipped) for every row
/// r = x n + y of `order` that holds particles, [s0, s1) its sorted positions, race-free and
/// in an order that does not depend on the thread count: the global x planes are cut into
/// chunks of at least `span` (scatter_span()) planes, so that chunks c and c + 2 never share
/// a plane; chunks of one colour run in parallel, each painting its rows in order. Returns
/// the skipped planes.
template <class RowScatter>
std::size_t scatter_rows_in_chunks(const PlaneOrder& order, int span,
                                   const RowScatter& scatter_row) {
  const int n = order.mesh();
  const int width = std::max(span, 4);
  const int nchunks = std::max(1, n / width);
  const std::size_t row_count = static_cast<std::size_t>(n);
  auto paint_chunk = [&](int c) {
    const int x0 = c * width, x1 = c == nchunks - 1 ? n : x0 + width;
    std::size_t missing = 0;
    for (std::size_t r = x0 * row_count; r < x1 * row_count; ++r) {
      if (order.row_begin(r) == order.row_begin(r + 1)) continue;
      missing += scatter_row(r, order.row_begin(r), order.row_begin(r + 1));
    }
    return missing;
  };
  std::size_t missing = 0;
  if (nchunks < 2) return paint_chunk(0);
  // With an odd count the last chunk would touch chunk 0 through the periodic wrap, so it
  // is painted alone at the end.
  const int paired = nchunks % 2 == 0 ? nchunks : nchunks - 1;
  for (int colour = 0; colour < 2; ++colour) {
#pragma omp parallel for schedule(dynamic, 1) reduction(+ : missing)
    for (int c = colour; c < paired; c += 2) missing += paint_chunk(c);
  }
  if (paired != nchunks) missing += paint_chunk(nchunks - 1);
  return missing;
}

/// scatter_rows_in_chunks() calling scatter(s, r) for each sorted position s of row r.
template <class Scatter>
std::size_t scatter_in_chunks(const PlaneOrder& order, int span, const Scatter& scatter) {
  return scatter_rows_in_chunks(order, span, [&](std::size_t r, std::size_t s0, std::size_t s1) {
    std::size_t missing = 0;
    for (std::size_t s = s0; s < s1; ++s) missing += scatter(s, r);
    return missing;
  });
}

/// How many sorted positions ahead the loops over a PlaneOrder prefetch the per-particle
/// arrays they index by particle (cotangents, gradients, outputs): those reads jump between
/// lattice rows, and the kernels are too long for the core to overlap the misses itself.
constexpr std::size_t kPrefetchAhead = 8;

/// Asks the cache for the line holding p, to be read.
inline void prefetch_read(const void* p) {
#if defined(__GNUC__)
  __builtin_prefetch(p, 0);
#else
  (void)p;
#endif
}

/// Asks the cache for the line holding p, to be written.
inline void prefetch_write(const void* p) {
#if defined(__GNUC__)
  __builtin_prefetch(p, 1);
#else
  (void)p;
#endif
}

/// Calls block(b) -> {value, skipped planes} for every b < nblocks in parallel and returns
/// the sum of the values taken in block order, so that it does not depend on the thread
/// count; the skipped planes go to `missing`.
template <class Block>
double sum_blocks_in_order(std::size_t nblocks, std::size_t& missing, const Block& block) {
  std::vector<double> partial(nblocks, 0.0);
  std::size_t skipped = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(+ : skipped)
  for (std::size_t blk = 0; blk < nblocks; ++blk) {
    const auto [value, planes] = block(blk);
    partial[blk] = value;
    skipped += planes;
  }
  missing += skipped;
  double total = 0;
  for (double v : partial) total += v;
  return total;
}

/// Sorted rows per block of reduce_rows().
constexpr std::size_t kReduceRows = 256;

/// Calls f(r, s0, s1) for every row r = x n + y of `order` that holds particles, [s0, s1) its
/// sorted positions, in parallel, and returns the sum of the double values it returns,
/// summed in blocks of kReduceRows rows and then over the blocks in order
/// (sum_blocks_in_order()). f returns {value, skipped planes}; the skipped planes go to
/// `missing`.
template <class F>
double reduce_rows(const PlaneOrder& order, std::size_t& missing, const F& f) {
  const std::size_t rows = static_cast<std::size_t>(order.mesh()) * order.mesh();
  const std::size_t nblocks = (rows + kReduceRows - 1) / kReduceRows;
  return sum_blocks_in_order(nblocks, missing, [&](std::size_t blk) {
    double sum = 0;
    std::size_t skipped = 0;
    const std::size_t end = std::min(rows, (blk + 1) * kReduceRows);
    for (std::size_t r = blk * kReduceRows; r < end; ++r) {
      if (order.row_begin(r) == order.row_begin(r + 1)) continue;
      const auto [value, planes] = f(r, order.row_begin(r), order.row_begin(r + 1));
      sum += value;
      skipped += planes;
    }
    return std::pair<double, std::size_t>(sum, skipped);
  });
}

/// Calls gather(j) (returning the window planes it skipped) for every one of `count`
/// particles in parallel, in index order (the lattice order, coherent in space). Returns
/// the skipped planes.
template <class Gather>
std::size_t gather_all(std::size_t count, const Gather& gather) {
  std::size_t missing = 0;
  const std::ptrdiff_t np = static_cast<std::ptrdiff_t>(count);
#pragma omp parallel for schedule(static) reduction(+ : missing)
  for (std::ptrdiff_t s = 0; s < np; ++s) missing += gather(static_cast<std::size_t>(s));
  return missing;
}

/// Particles per block of the fixed-order reductions of the vjps.
constexpr std::size_t kReduceBlock = 1024;

/// Calls f(j) for every particle and returns the sum of its double results, summed in
/// blocks of fixed size (sum_blocks_in_order()), so that the value does not depend on the
/// thread count. f returns {value, skipped planes}; the skipped planes go to `missing`.
template <class F>
double reduce_all(std::size_t count, std::size_t& missing, const F& f) {
  const std::size_t nblocks = (count + kReduceBlock - 1) / kReduceBlock;
  return sum_blocks_in_order(nblocks, missing, [&](std::size_t blk) {
    double sum = 0;
    std::size_t skipped = 0;
    const std::size_t end = std::min(count, (blk + 1) * kReduceBlock);
    for (std::size_t s = blk * kReduceBlock; s < end; ++s) {
      const auto [value, planes] = f(s);
      sum += value;
      skipped += static_cast<std::size_t>(planes);
    }
    return std::pair<double, std::size_t>(sum, skipped);
  });
}

/// `order` when given (checked against count, n and shift: std::logic_error naming `who`
/// otherwise), else `own` sorted here for `source` (particles or a position array).
template <class Source>
const PlaneOrder& order_or_sort(const PlaneOrder* order, PlaneOrder& own, const Source& source,
                                std::size_t count, int n, double box_size, double shift,
                                const char* who) {
  if (order != nullptr) {
    order->require_matches(count, n, shift, who);
    return *order;
  }
  own.sort(source, n, box_size, shift);
  return own;
}

/// Calls f(std::integral_constant<int, P>) for the support P of window k.
template <class F>
void dispatch_order(PaintKernel k, F f) {
  if (!with_support(paint_order(k), f)) {
    throw std::invalid_argument(std::string("painter: no weights for window ") +
                                paint_kernel_name(k) + " of support " +
                                std::to_string(paint_order(k)));
  }
}

}  // namespace cosmograd::sim::detail
