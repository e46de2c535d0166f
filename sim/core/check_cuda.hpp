// Status checks for the CUDA runtime and cuFFT (included only by sim/cuda/ sources).
#pragma once

#include <cuda_runtime_api.h>
#include <cufft.h>

#include "sim/core/check.hpp"

namespace cosmograd::sim::cuda {

/// cuFFT's name for a status code, e.g. "CUFFT_ALLOC_FAILED".
const char* cufft_status_name(cufftResult status);

/// Throws CallError naming `call` and CUDA's error string when status != cudaSuccess.
inline void check_cuda(cudaError_t status, const char* call) {
  if (status != cudaSuccess) {
    call_failed("CUDA", call, static_cast<long long>(status),
                std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status));
  }
}

/// Throws CallError naming `call` and the cuFFT status name when status != CUFFT_SUCCESS.
inline void check_cufft(cufftResult status, const char* call) {
  if (status != CUFFT_SUCCESS) {
    call_failed("cuFFT", call, static_cast<long long>(status), cufft_status_name(status));
  }
}

}  // namespace cosmograd::sim::cuda
