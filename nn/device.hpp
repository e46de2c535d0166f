// Maps the engine's backend tag to a LibTorch device.
#pragma once

#include <torch/types.h>

#include <string>

#include "sim/core/backend.hpp"

namespace cosmograd::nn {

/// The LibTorch device for `device`; throws std::invalid_argument when LibTorch was
/// built without CUDA or sees no GPU and `device` is cuda.
torch::Device torch_device(sim::Device device);
/// LibTorch version and whether it can use CUDA, one line.
std::string torch_summary();

}  // namespace cosmograd::nn
