// gpu label: needs a CUDA device, skips with a message otherwise.
#include <gtest/gtest.h>

#include "sim/core/backend.hpp"
#include "sim/core/cuda_device.hpp"

TEST(CudaDevice, NamesEveryVisibleDevice) {
  const int n = cosmograd::sim::cuda_device_count();
  if (n == 0) GTEST_SKIP() << "no CUDA device visible: gpu test skipped";
  for (int i = 0; i < n; ++i) {
    const std::string name = cosmograd::sim::cuda::device_name(i);
    EXPECT_NE(name.find("sm_"), std::string::npos) << name;
  }
}
