#include "sim/mesh/plane_order.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

#include "sim/core/non_finite.hpp"
#include "sim/mesh/detail/paint_loops.hpp"

namespace cosmograd::sim {

namespace {

/// Largest |u| [cells] a position may have: beyond, it is NaN, Inf or far outside any box.
constexpr double kMaxCells = 1e15;

/// Whether the position u [cells] is finite and in range (the sort's numerical guard).
inline bool valid_cell_position(const double* u) {
  return std::fabs(u[0]) < kMaxCells && std::fabs(u[1]) < kMaxCells && std::fabs(u[2]) < kMaxCells;
}

/// The guard's error, with the index of the particle for the callers that know more of it.
struct BadPosition : NonFiniteError {
  BadPosition(const std::string& what, std::size_t j) : NonFiniteError(what), index(j) {}
  std::size_t index;  ///< the particle
};

/// floor(u) wrapped into [0, n) [cells].
inline std::uint32_t wrapped_cell(double floor_u, int n) {  // |floor_u| < kMaxCells
  long long i = static_cast<long long>(floor_u);
  if (i < 0 || i >= n) i = ((i % n) + n) % n;
  return static_cast<std::uint32_t>(i);
}

}  // namespace

template <class T, class Positions>
void PlaneOrder::sort_impl(const Positions& pos, int n, double shift) {
  const std::size_t np = pos.size();
  if (np >= std::numeric_limits<std::uint32_t>::max()) {
    throw std::invalid_argument("PlaneOrder: " + std::to_string(np) +
                                " particles on one rank; at most 2^32 - 2 are allowed");
  }
  n_ = n;
  shift_ = shift;
  order_.resize(np);
  cell_z_.resize(np);
  std::vector<T>& offsets = offsets_of<T>();
  offsets.resize(3 * np);
  if constexpr (std::is_same_v<T, float>) {
    std::vector<double>().swap(offsets_d_);
  } else {
    std::vector<float>().swap(offsets_f_);
  }
  const int nthreads = detail::max_threads();
  const std::size_t rows = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
  counts_.assign(rows * nthreads, 0);
  row_start_.assign(rows + 1, 0);
  // Stable counting sort, parallel over fixed contiguous particle ranges: the slots of
  // row r go to thread 0's particles first, then thread 1's, ... as a serial sort would.
  // The positions are evaluated twice (to count, then to place) rather than stored.
  // A NaN, Inf or absurd position (the numerical guard of the force) stops the sort after
  // counting: first_bad[t] is thread t's first such particle (np if none).
  std::vector<std::size_t> first_bad(nthreads, np);
  bool bad = false;
#pragma omp parallel num_threads(nthreads)
  {
    const int t = detail::thread_index();
    const std::size_t lo = np * t / nthreads, hi = np * (t + 1) / nthreads;
    std::uint32_t* mine = counts_.data() + rows * t;
    for (std::size_t j = lo; j < hi; ++j) {
      double u[3];
      pos(j, shift, u);
      if (!valid_cell_position(u)) {
        if (first_bad[t] == np) first_bad[t] = j;
        continue;
      }
      const std::size_t x = wrapped_cell(fast_floor(u[0]), n);
      ++mine[x * n + wrapped_cell(fast_floor(u[1]), n)];
    }
#pragma omp barrier
#pragma omp single
    {
      for (std::size_t b : first_bad) bad = bad || b != np;
      std::size_t offset = 0;
      for (std::size_t r = 0; r < rows; ++r) {
        row_start_[r] = offset;
        for (int tt = 0; tt < nthreads; ++tt) {
          std::uint32_t& cnt = counts_[rows * tt + r];
          const std::uint32_t here = cnt;
          cnt = static_cast<std::uint32_t>(offset);  // this thread's next slot in row r
          offset += here;
        }
      }
      row_start_[rows] = offset;
    }  // implied barrier: every thread sees `bad`
    for (std::size_t j = bad ? hi : lo; j < hi; ++j) {
      double u[3];
      pos(j, shift, u);
      std::uint32_t cell[3];
      T frac[3];
      for (int a = 0; a < 3; ++a) {
        const double f = fast_floor(u[a]);
        frac[a] = static_cast<T>(u[a] - f);  // as axis_weights<2> rounds it
        cell[a] = wrapped_cell(f, n);
      }
      const std::size_t s = mine[static_cast<std::size_t>(cell[0]) * n + cell[1]]++;
      order_[s] = static_cast<std::uint32_t>(j);
      cell_z_[s] = cell[2];
      for (int a = 0; a < 3; ++a) offsets[3 * s + a] = frac[a];
    }
  }
  if (bad) {
    const std::size_t j = *std::min_element(first_bad.begin(), first_bad.end());
    double u[3];
    pos(j, shift, u);
    order_.clear();  // not a valid order
    std::ostringstream os;
    os << "the position of particle " << j << " is not finite (" << u[0] << ", " << u[1] << ", "
       << u[2] << " mesh cells)";
    throw BadPosition(os.str(), j);
  }
}

template <class T>
void PlaneOrder::sort(const Particles<T>& particles, int n, double box_size, double shift) {
  try {
    sort_impl<T>(detail::LatticePositions<T>(particles, n / box_size), n, shift);
  } catch (const BadPosition& e) {  // name the particle's lattice id and momentum
    const std::size_t j = e.index;
    std::ostringstream os;
    os << e.what() << "; its lattice id is " << particles.id[j] << ", its displacement ("
       << particles.disp[3 * j] << ", " << particles.disp[3 * j + 1] << ", "
       << particles.disp[3 * j + 2] << ") Mpc/h";
    if (particles.mom.size() == particles.disp.size()) {
      os << ", its momentum (" << particles.mom[3 * j] << ", " << particles.mom[3 * j + 1] << ", "
         << particles.mom[3 * j + 2] << ") Mpc/h";
    }
    throw NonFiniteError(os.str());
  }
}

template <class T>
void PlaneOrder::sort(const std::vector<T>& positions, int n, double box_size, double shift) {
  sort_impl<T>(detail::ArrayPositions<T>{positions, n / box_size}, n, shift);
}

void PlaneOrder::require_matches(std::size_t count, int n, double shift, const char* who) const {
  if (count != order_.size() || n != n_ || shift != shift_) {
    throw std::logic_error(std::string(who) + ": the plane order was sorted for " +
                           std::to_string(order_.size()) + " particles on a mesh of " +
                           std::to_string(n_) + " at shift " + std::to_string(shift_) +
                           ", not for " + std::to_string(count) + " on " + std::to_string(n) +
                           " at " + std::to_string(shift) + " (sort it again after moving them)");
  }
}

template void PlaneOrder::sort<float>(const Particles<float>&, int, double, double);
template void PlaneOrder::sort<double>(const Particles<double>&, int, double, double);
template void PlaneOrder::sort<float>(const std::vector<float>&, int, double, double);
template void PlaneOrder::sort<double>(const std::vector<double>&, int, double, double);

}  // namespace cosmograd::sim
