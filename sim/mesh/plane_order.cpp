#include "sim/mesh/plane_order.hpp"

#include <limits>
#include <stdexcept>
#include <string>

#include "sim/mesh/detail/paint_loops.hpp"

namespace cosmograd::sim {

template <class Positions>
void PlaneOrder::sort_impl(const Positions& pos, int n, double shift) {
  const std::size_t np = pos.size();
  if (np >= std::numeric_limits<std::uint32_t>::max()) {
    throw std::invalid_argument("PlaneOrder: " + std::to_string(np) +
                                " particles on one rank; at most 2^32 - 2 are allowed");
  }
  n_ = n;
  shift_ = shift;
  plane_.resize(np);
  order_.resize(np);
  const int nthreads = detail::max_threads();
  const std::size_t planes = static_cast<std::size_t>(n);
  counts_.assign(planes * nthreads, 0);
  plane_start_.assign(planes + 1, 0);
  // Stable counting sort, parallel over fixed contiguous particle ranges: the slots of
  // plane x go to thread 0's particles first, then thread 1's, ... as a serial sort would.
#pragma omp parallel num_threads(nthreads)
  {
    const int t = detail::thread_index();
    const std::size_t lo = np * t / nthreads, hi = np * (t + 1) / nthreads;
    std::size_t* mine = counts_.data() + planes * t;
    for (std::size_t j = lo; j < hi; ++j) {
      double u[3];
      pos(j, shift, u);
      long long x = static_cast<long long>(fast_floor(u[0]));
      if (x < 0 || x >= n) x = ((x % n) + n) % n;
      plane_[j] = static_cast<std::uint32_t>(x);
      ++mine[x];
    }
#pragma omp barrier
#pragma omp single
    {
      std::size_t offset = 0;
      for (std::size_t x = 0; x < planes; ++x) {
        plane_start_[x] = offset;
        for (int tt = 0; tt < nthreads; ++tt) {
          std::size_t& cnt = counts_[planes * tt + x];
          const std::size_t here = cnt;
          cnt = offset;  // this thread's next slot in plane x
          offset += here;
        }
      }
      plane_start_[planes] = offset;
    }
    for (std::size_t j = lo; j < hi; ++j) order_[mine[plane_[j]]++] = static_cast<std::uint32_t>(j);
  }
}

template <class T>
void PlaneOrder::sort(const Particles<T>& particles, int n, double box_size, double shift) {
  sort_impl(detail::LatticePositions<T>(particles, n / box_size), n, shift);
}

template <class T>
void PlaneOrder::sort(const std::vector<T>& positions, int n, double box_size, double shift) {
  sort_impl(detail::ArrayPositions<T>{positions, n / box_size}, n, shift);
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
