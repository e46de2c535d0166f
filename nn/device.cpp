#include "nn/device.hpp"

#include <torch/cuda.h>
#include <torch/version.h>

#include <stdexcept>

namespace cosmograd::nn {

torch::Device torch_device(sim::Device device) {
  if (device == sim::Device::cpu) return torch::Device(torch::kCPU);
  if (!torch::cuda::is_available()) {
    throw std::invalid_argument(
        "device = 'cuda' but this LibTorch has no usable CUDA (allowed here: cpu)");
  }
  return torch::Device(torch::kCUDA, 0);
}

std::string torch_summary() {
  return std::string("LibTorch ") + TORCH_VERSION +
         (torch::cuda::is_available()
              ? ", CUDA devices: " + std::to_string(torch::cuda::device_count())
              : ", CPU only");
}

}  // namespace cosmograd::nn
