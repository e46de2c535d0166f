// Runs without a GPU: the checks only format CUDA's and cuFFT's status codes.
#include <gtest/gtest.h>

#include "sim/core/check_cuda.hpp"

namespace cgc = cosmograd::sim::cuda;

TEST(CudaCheck, CudaErrorNamesCallAndError) {
  try {
    cgc::check_cuda(cudaErrorMemoryAllocation, "cudaMalloc");
    FAIL() << "no throw";
  } catch (const cosmograd::sim::CallError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("cudaMalloc failed (CUDA status 2)"), std::string::npos) << what;
    EXPECT_NE(what.find("cudaErrorMemoryAllocation"), std::string::npos) << what;
  }
  EXPECT_NO_THROW(cgc::check_cuda(cudaSuccess, "cudaMemcpy"));
}

TEST(CudaCheck, CufftErrorNamesStatus) {
  try {
    cgc::check_cufft(CUFFT_INVALID_SIZE, "cufftPlan3d");
    FAIL() << "no throw";
  } catch (const cosmograd::sim::CallError& e) {
    EXPECT_NE(std::string(e.what()).find("cufftPlan3d failed (cuFFT status 8): CUFFT_INVALID_SIZE"),
              std::string::npos)
        << e.what();
  }
}
