#include "sim/mpi/comm.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "sim/core/build_config.hpp"
#include "sim/core/log.hpp"

#if COSMOGRAD_HAVE_MPI
#include "sim/mpi/check_mpi.hpp"
#include "sim/mpi/detail/mpi_comm.hpp"
#endif

namespace cosmograd::sim {
namespace {
bool g_we_initialised = false;

#if COSMOGRAD_HAVE_MPI
/// In-place MPI_Allreduce of v[0..n) with `op`.
void allreduce(void* v, std::size_t n, MPI_Datatype type, MPI_Op op, MPI_Comm c) {
  if (n == 0) return;
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, v, static_cast<int>(n), type, op, c), "MPI_Allreduce");
}

bool mpi_running() {
  int init = 0, fin = 0;
  MPI_Initialized(&init);
  MPI_Finalized(&fin);
  return init != 0 && fin == 0;
}
#endif
}  // namespace

bool mpi_built() { return COSMOGRAD_HAVE_MPI != 0; }

Comm Comm::world() {
#if COSMOGRAD_HAVE_MPI
  if (mpi_running()) {
    int rank = 0, size = 1;
    check_mpi(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
    check_mpi(MPI_Comm_size(MPI_COMM_WORLD, &size), "MPI_Comm_size");
    return Comm(detail::comm_handle(MPI_COMM_WORLD), rank, size);
  }
#endif
  return Comm();
}

bool mpi_init(int* argc, char*** argv) {
#if COSMOGRAD_HAVE_MPI
  int init = 0;
  MPI_Initialized(&init);
  if (init == 0) {
    int provided = 0;
    check_mpi(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    g_we_initialised = true;
  }
  const Comm w = Comm::world();
  set_log_rank(w.rank(), w.size());
  return g_we_initialised;
#else
  (void)argc;
  (void)argv;
  return false;
#endif
}

void mpi_finalize() {
#if COSMOGRAD_HAVE_MPI
  if (g_we_initialised && mpi_running()) MPI_Finalize();
#endif
  g_we_initialised = false;
}

void Comm::sum(double* v, std::size_t n) const {
#if COSMOGRAD_HAVE_MPI
  if (distributed()) allreduce(v, n, MPI_DOUBLE, MPI_SUM, detail::mpi_comm(*this));
#else
  (void)v;  // one rank: the sum is v itself
  (void)n;
#endif
}

void Comm::sum(std::int64_t* v, std::size_t n) const {
#if COSMOGRAD_HAVE_MPI
  if (distributed()) allreduce(v, n, MPI_INT64_T, MPI_SUM, detail::mpi_comm(*this));
#else
  (void)v;  // one rank: the sum is v itself
  (void)n;
#endif
}

double Comm::max(double x) const {
#if COSMOGRAD_HAVE_MPI
  if (distributed()) allreduce(&x, 1, MPI_DOUBLE, MPI_MAX, detail::mpi_comm(*this));
#endif
  return x;
}

std::vector<std::int64_t> Comm::all_gather(std::int64_t x) const {
  std::vector<std::int64_t> out(static_cast<std::size_t>(size_), x);
#if COSMOGRAD_HAVE_MPI
  if (distributed()) {
    check_mpi(
        MPI_Allgather(&x, 1, MPI_INT64_T, out.data(), 1, MPI_INT64_T, detail::mpi_comm(*this)),
        "MPI_Allgather");
  }
#endif
  return out;
}

void Comm::broadcast(std::string& data, int root) const {
#if COSMOGRAD_HAVE_MPI
  if (!distributed()) return;
  std::int64_t len = static_cast<std::int64_t>(data.size());
  const MPI_Comm c = detail::mpi_comm(*this);
  check_mpi(MPI_Bcast(&len, 1, MPI_INT64_T, root, c), "MPI_Bcast");
  data.resize(static_cast<std::size_t>(len));
  if (len > 0) {
    check_mpi(MPI_Bcast(data.data(), static_cast<int>(len), MPI_CHAR, root, c), "MPI_Bcast");
  }
#else
  (void)data;
  (void)root;
#endif
}

std::vector<std::vector<char>> Comm::exchange_bytes(
    const std::vector<std::vector<char>>& send) const {
  const std::size_t p = static_cast<std::size_t>(size_);
  if (send.size() != p) {
    throw std::invalid_argument("Comm::exchange: " + std::to_string(send.size()) +
                                " send buffers for " + std::to_string(size_) + " ranks");
  }
  if (!distributed()) return send;
#if COSMOGRAD_HAVE_MPI
  const MPI_Comm c = detail::mpi_comm(*this);
  std::vector<std::int64_t> send_n(p), recv_n(p);
  for (std::size_t r = 0; r < p; ++r) send_n[r] = static_cast<std::int64_t>(send[r].size());
  check_mpi(MPI_Alltoall(send_n.data(), 1, MPI_INT64_T, recv_n.data(), 1, MPI_INT64_T, c),
            "MPI_Alltoall");
  std::vector<std::vector<char>> recv(p);
  for (std::size_t r = 0; r < p; ++r) recv[r].resize(static_cast<std::size_t>(recv_n[r]));
  // Rounds of at most kChunk bytes per peer keep MPI's int counts and displacements valid.
  constexpr std::int64_t kChunk = std::int64_t{1} << 28;
  const double most =
      max(static_cast<double>(std::max(*std::max_element(send_n.begin(), send_n.end()),
                                       *std::max_element(recv_n.begin(), recv_n.end()))));
  const std::int64_t rounds =
      std::max<std::int64_t>(1, (static_cast<std::int64_t>(most) + kChunk - 1) / kChunk);
  std::vector<int> sc(p), sd(p), rc(p), rd(p);
  std::vector<char> sbuf, rbuf;
  for (std::int64_t round = 0; round < rounds; ++round) {
    const std::int64_t lo = round * kChunk;
    int soff = 0, roff = 0;
    for (std::size_t r = 0; r < p; ++r) {
      sc[r] = static_cast<int>(std::clamp<std::int64_t>(send_n[r] - lo, 0, kChunk));
      rc[r] = static_cast<int>(std::clamp<std::int64_t>(recv_n[r] - lo, 0, kChunk));
      sd[r] = soff;
      rd[r] = roff;
      soff += sc[r];
      roff += rc[r];
    }
    sbuf.resize(static_cast<std::size_t>(soff));
    rbuf.resize(static_cast<std::size_t>(roff));
    for (std::size_t r = 0; r < p; ++r) {
      if (sc[r] > 0) std::copy_n(send[r].data() + lo, sc[r], sbuf.data() + sd[r]);
    }
    check_mpi(MPI_Alltoallv(sbuf.data(), sc.data(), sd.data(), MPI_BYTE, rbuf.data(), rc.data(),
                            rd.data(), MPI_BYTE, c),
              "MPI_Alltoallv");
    for (std::size_t r = 0; r < p; ++r) {
      if (rc[r] > 0) std::copy_n(rbuf.data() + rd[r], rc[r], recv[r].data() + lo);
    }
  }
  return recv;
#else
  return send;
#endif
}

void Comm::barrier() const {
#if COSMOGRAD_HAVE_MPI
  if (distributed()) check_mpi(MPI_Barrier(detail::mpi_comm(*this)), "MPI_Barrier");
#endif
}

void Comm::abort(const std::string& message, int code) const {
  std::fprintf(stderr, "cosmograd: error [rank %d of %d]: %s\n", rank_, size_, message.c_str());
  std::fflush(stderr);
#if COSMOGRAD_HAVE_MPI
  if (mpi_running()) MPI_Abort(distributed() ? detail::mpi_comm(*this) : MPI_COMM_WORLD, code);
#endif
  std::exit(code);
}

}  // namespace cosmograd::sim
