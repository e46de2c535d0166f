// Status check for MPI calls.
#pragma once

#include <mpi.h>

#include "sim/core/check.hpp"

namespace cosmograd::sim {

/// Throws CallError naming `call` and MPI's error string when code != MPI_SUCCESS.
inline void check_mpi(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) len = 0;
  call_failed("MPI", call, code, std::string(text, static_cast<size_t>(len)));
}

}  // namespace cosmograd::sim
