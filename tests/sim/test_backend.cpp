#include <gtest/gtest.h>

#include "sim/core/backend.hpp"

namespace cg = cosmograd::sim;

TEST(Backend, ParseDevice) {
  EXPECT_EQ(cg::parse_device("cpu"), cg::Device::cpu);
  EXPECT_EQ(cg::parse_device("cuda"), cg::Device::cuda);
  try {
    cg::parse_device("tpu", "device");
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "device = 'tpu' is not a backend (allowed: cpu, cuda)");
  }
}

TEST(Backend, CpuAlwaysAvailableCudaOnlyWithDevice) {
  EXPECT_NO_THROW(cg::require_device(cg::Device::cpu));
  if (cg::cuda_device_count() == 0) {
    EXPECT_THROW(cg::require_device(cg::Device::cuda), std::invalid_argument);
  } else {
    EXPECT_NO_THROW(cg::require_device(cg::Device::cuda));
  }
  if (!cg::kCudaBuilt) {
    EXPECT_EQ(cg::cuda_device_count(), 0);
  }
}

TEST(Backend, SummaryListsFeatures) {
  const std::string s = cg::build_summary();
  EXPECT_NE(s.find("FFTW3:"), std::string::npos);
  EXPECT_NE(s.find("CUDA:"), std::string::npos);
}
