// CUDA device queries; plain C++ header, implemented in sim/core/cuda_device.cu.
#pragma once

#include <string>

namespace cosmograd::sim::cuda {

/// Number of usable CUDA devices; 0 when there is no device or driver.
int device_count();
/// "NAME (sm_XY, MEM MiB)" of device `device`.
std::string device_name(int device);

}  // namespace cosmograd::sim::cuda
