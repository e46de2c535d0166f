// The MPI communicator behind a Comm (for code that calls MPI or FFTW-MPI directly).
#pragma once

#include <mpi.h>

#include <cstring>

#include "sim/mpi/comm.hpp"

namespace cosmograd::sim::detail {

/// The MPI_Comm a Comm wraps (MPI_COMM_SELF for Comm::self()).
inline MPI_Comm mpi_comm(const Comm& c) {
  if (!c.distributed() && c.handle() == 0) return MPI_COMM_SELF;
  MPI_Comm m;
  const std::uintptr_t h = c.handle();
  static_assert(sizeof(MPI_Comm) <= sizeof(std::uintptr_t), "MPI_Comm must fit a handle");
  std::memcpy(&m, &h, sizeof(MPI_Comm));
  return m;
}

/// The handle of an MPI_Comm.
inline std::uintptr_t comm_handle(MPI_Comm m) {
  std::uintptr_t h = 0;
  std::memcpy(&h, &m, sizeof(MPI_Comm));
  return h;
}

}  // namespace cosmograd::sim::detail
