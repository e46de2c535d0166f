// The communicator the engine is distributed over: MPI when built with it, else one rank.
// Only sim/mpi/comm.cpp and sim/mpi/detail/mpi_comm.hpp see <mpi.h>.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

namespace cosmograd::sim {

/// A group of ranks (MPI communicator) or the serial single rank. Cheap to copy; does not
/// own the underlying MPI communicator. All members except rank()/size() are collective.
class Comm {
 public:
  /// The calling process alone (size 1; never touches MPI).
  static Comm self() { return Comm(); }
  /// MPI_COMM_WORLD when MPI is initialised (mpi_init() or the host program), else self().
  static Comm world();

  int rank() const { return rank_; }                 ///< this process's rank in [0, size)
  int size() const { return size_; }                 ///< number of ranks
  bool distributed() const { return size_ > 1; }     ///< more than one rank
  std::uintptr_t handle() const { return handle_; }  ///< the MPI_Comm (sim/mpi/detail/mpi_comm.hpp)

  /// In-place sum of v[0..n) over ranks.
  void sum(double* v, std::size_t n) const;
  /// In-place sum of v[0..n) over ranks.
  void sum(std::int64_t* v, std::size_t n) const;
  /// Sum of x over ranks.
  double sum(double x) const {
    sum(&x, 1);
    return x;
  }
  /// Sum of x over ranks.
  std::int64_t sum(std::int64_t x) const {
    sum(&x, 1);
    return x;
  }
  /// Maximum of x over ranks.
  double max(double x) const;
  /// Minimum of x over ranks.
  double min(double x) const { return -max(-x); }
  /// x of every rank, in rank order.
  std::vector<std::int64_t> all_gather(std::int64_t x) const;
  /// Bytes of `data` broadcast from `root` (resized on the others).
  void broadcast(std::string& data, int root = 0) const;
  /// Sends send[r] to rank r and returns what each rank sent here, indexed by source
  /// (MPI_Alltoall of the sizes, then MPI_Alltoallv in chunks below 2^31 bytes).
  std::vector<std::vector<char>> exchange_bytes(const std::vector<std::vector<char>>& send) const;
  /// exchange_bytes() for vectors of a trivially copyable type V.
  template <class V>
  std::vector<std::vector<V>> exchange(const std::vector<std::vector<V>>& send) const;
  /// Waits for every rank.
  void barrier() const;
  /// Ends every rank of the job with `message` printed by this one (MPI_Abort when
  /// distributed; std::exit otherwise). Never returns.
  [[noreturn]] void abort(const std::string& message, int code = 1) const;

 private:
  Comm() = default;
  Comm(std::uintptr_t handle, int rank, int size) : handle_(handle), rank_(rank), size_(size) {}
  std::uintptr_t handle_ = 0;
  int rank_ = 0;
  int size_ = 1;
};

/// Initialises MPI (threads: MPI_THREAD_FUNNELED) when this build has it and it is not
/// initialised yet; sets the log rank. Returns true when this call initialised it.
bool mpi_init(int* argc, char*** argv);
/// Finalises MPI when mpi_init() initialised it.
void mpi_finalize();
/// True when this build contains MPI support.
bool mpi_built();

template <class V>
std::vector<std::vector<V>> Comm::exchange(const std::vector<std::vector<V>>& send) const {
  static_assert(std::is_trivially_copyable_v<V>, "exchange() copies raw bytes");
  std::vector<std::vector<char>> bytes(send.size());
  for (std::size_t r = 0; r < send.size(); ++r) {
    bytes[r].resize(send[r].size() * sizeof(V));
    if (!send[r].empty()) std::memcpy(bytes[r].data(), send[r].data(), bytes[r].size());
  }
  const std::vector<std::vector<char>> got = exchange_bytes(bytes);
  std::vector<std::vector<V>> out(got.size());
  for (std::size_t r = 0; r < got.size(); ++r) {
    out[r].resize(got[r].size() / sizeof(V));
    if (!got[r].empty()) std::memcpy(out[r].data(), got[r].data(), got[r].size());
  }
  return out;
}

}  // namespace cosmograd::sim
