// Internal assertions and status checks that throw with file, line and MPI rank.
#pragma once

#include <stdexcept>
#include <string>

namespace cosmograd::sim {

/// A broken internal invariant (a bug in cosmograd, not bad input).
class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// A failed call into a library (FFTW, HDF5, MPI, CUDA, cuFFT, the OS).
class CallError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Throws InternalError "file:line [rank r]: assertion `expr` failed: message".
[[noreturn]] void assertion_failed(const char* expr, const char* file, int line,
                                   const std::string& message);

/// Throws CallError "<call> failed (<library> status <code>): <detail> [rank r]".
[[noreturn]] void call_failed(const char* library, const char* call, long long code,
                              const std::string& detail);

}  // namespace cosmograd::sim

/// Checks an internal invariant in every build type; reports file, line and rank.
#define COSMOGRAD_ASSERT(cond, message)                                                  \
  do {                                                                                   \
    if (!(cond)) ::cosmograd::sim::assertion_failed(#cond, __FILE__, __LINE__, message); \
  } while (false)
