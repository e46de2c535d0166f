#include <gtest/gtest.h>
#include <torch/torch.h>

#include "nn/device.hpp"

TEST(NnDevice, CpuMapsToTorchCpu) {
  EXPECT_EQ(cosmograd::nn::torch_device(cosmograd::sim::Device::cpu).type(), torch::kCPU);
  const auto t = torch::ones({2, 2}, torch::TensorOptions().device(
                                         cosmograd::nn::torch_device(cosmograd::sim::Device::cpu)));
  EXPECT_DOUBLE_EQ(t.sum().item<double>(), 4.0);
}

TEST(NnDevice, CudaWithoutGpuIsAClearError) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "LibTorch sees a GPU";
  try {
    cosmograd::nn::torch_device(cosmograd::sim::Device::cuda);
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("device = 'cuda'"), std::string::npos);
  }
}

TEST(NnDevice, SummaryNamesLibTorch) {
  EXPECT_NE(cosmograd::nn::torch_summary().find("LibTorch 1."), std::string::npos);
}
