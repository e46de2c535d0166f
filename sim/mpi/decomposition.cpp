#include "sim/mpi/decomposition.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace cosmograd::sim {
namespace {
Decomposition::DistributedAllocRule& distributed_alloc_rule() {
  static Decomposition::DistributedAllocRule rule = nullptr;
  return rule;
}

/// Reals a distributed transform needs without an installed rule: every transpose keeps
/// one of the n-plane dimensions split in blocks of ceil(n / P), so a block of padded
/// planes, doubled, bounds it.
std::size_t slab_transpose_bound(int n, const Comm& comm) {
  const std::size_t block = static_cast<std::size_t>((n + comm.size() - 1) / comm.size());
  return 2 * block * static_cast<std::size_t>(n) * (2 * (n / 2 + 1));
}

void check_mesh(int n) {
  if (n < 2 || n % 2 != 0) {
    throw std::invalid_argument("mesh = " + std::to_string(n) +
                                " is not allowed (allowed: an even number >= 2)");
  }
}
}  // namespace

Decomposition::Decomposition(int n, int x_begin, int nx_local)
    : n_(n), x_begin_(x_begin), nx_local_(nx_local) {
  check_mesh(n);
  if (x_begin < 0 || nx_local < 0 || x_begin + nx_local > n) {
    throw std::invalid_argument("slab [" + std::to_string(x_begin) + ", " +
                                std::to_string(x_begin + nx_local) + ") lies outside a mesh of " +
                                std::to_string(n) + " planes");
  }
  starts_ = std::make_shared<const std::vector<int>>(std::vector<int>{0, n});
  alloc_real_ = local_real_size();
}

Decomposition::Decomposition(int n, const Comm& comm) : n_(n), comm_(comm) {
  check_mesh(n);
  // FFTW-MPI's default block: ceil(n / P) planes per rank (fftw_mpi_local_size_3d).
  const int p = comm.size();
  const int block = (n + p - 1) / p;
  std::vector<int> starts(static_cast<std::size_t>(p) + 1);
  for (int r = 0; r <= p; ++r) starts[static_cast<std::size_t>(r)] = std::min(n, r * block);
  x_begin_ = starts[static_cast<std::size_t>(comm.rank())];
  nx_local_ = starts[static_cast<std::size_t>(comm.rank()) + 1] - x_begin_;
  starts_ = std::make_shared<const std::vector<int>>(std::move(starts));
  alloc_real_ = local_real_size();
  if (distributed()) {
    const DistributedAllocRule rule = distributed_alloc_rule();
    alloc_real_ = std::max({alloc_real_, plane_size(),
                            rule != nullptr ? rule(n, comm) : slab_transpose_bound(n, comm)});
  }
}

Decomposition Decomposition::with_ghosts(int lo, int hi) const {
  if (lo < 0 || hi < 0) {
    throw std::invalid_argument("ghost planes (" + std::to_string(lo) + ", " + std::to_string(hi) +
                                ") must not be negative");
  }
  Decomposition d = *this;
  if (!distributed()) return d;
  // The slab and its ghosts hold each global plane at most once.
  const int room = n_ - nx_local_;
  d.ghost_lo_ = std::min(lo, room);
  d.ghost_hi_ = std::min(hi, room - d.ghost_lo_);
  return d;
}

int Decomposition::owner(int x) const {
  const std::vector<int>& s = *starts_;
  // The last rank whose slab starts at or before x and is not empty.
  const auto it = std::upper_bound(s.begin(), s.end() - 1, x);
  int r = static_cast<int>(it - s.begin()) - 1;
  while (r > 0 && s[static_cast<std::size_t>(r)] == s[static_cast<std::size_t>(r) + 1]) --r;
  return r;
}

void Decomposition::set_distributed_alloc_rule(DistributedAllocRule rule) {
  distributed_alloc_rule() = rule;
}

}  // namespace cosmograd::sim
