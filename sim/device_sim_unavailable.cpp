// make_cuda_sim in a build without the CUDA backend (sim/CMakeLists.txt picks this file).
#include <stdexcept>

#include "sim/backend.hpp"
#include "sim/device_sim.hpp"

namespace cosmograd::sim {

template <class T>
std::unique_ptr<DeviceSim<T>> make_cuda_sim(const SimConfig&, GradientMode, int) {
  require_device(Device::cuda);  // throws: names the missing CUDA build
  throw std::logic_error("make_cuda_sim: require_device(cuda) passed in a build without CUDA");
}

template std::unique_ptr<DeviceSim<float>> make_cuda_sim<float>(const SimConfig&, GradientMode,
                                                                int);
template std::unique_ptr<DeviceSim<double>> make_cuda_sim<double>(const SimConfig&, GradientMode,
                                                                  int);

}  // namespace cosmograd::sim
