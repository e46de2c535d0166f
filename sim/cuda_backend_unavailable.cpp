// make_cuda_backend in a build without the CUDA backend: a clear error instead of a link
// failure, so `device = cuda` is a run-time choice with no #ifdef in the physics.
#include <stdexcept>

#include "sim/adjoint.hpp"
#include "sim/backend.hpp"

namespace cosmograd::sim {

template <class T>
std::unique_ptr<PmBackend<T>> make_cuda_backend(const SimConfig&, const CosmologyTables&) {
  require_device(Device::cuda);  // throws: names the missing CUDA build
  throw std::logic_error("make_cuda_backend: require_device(cuda) passed in a build without CUDA");
}

template std::unique_ptr<PmBackend<float>> make_cuda_backend<float>(const SimConfig&,
                                                                    const CosmologyTables&);
template std::unique_ptr<PmBackend<double>> make_cuda_backend<double>(const SimConfig&,
                                                                      const CosmologyTables&);

}  // namespace cosmograd::sim
