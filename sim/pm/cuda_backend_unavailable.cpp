// make_cuda_backend in a build without the CUDA backend: a clear error instead of a link
// failure, so `device = cuda` is a run-time choice with no #ifdef in the physics.
#include <stdexcept>

#include "sim/core/backend.hpp"
#include "sim/pm/adjoint.hpp"

namespace cosmograd::sim {

template <class T>
std::unique_ptr<PmBackend<T>> make_cuda_backend(const SimSpec&, const CosmologyTables&) {
  require_device(Device::cuda);  // throws: names the missing CUDA build
  throw std::logic_error("make_cuda_backend: require_device(cuda) passed in a build without CUDA");
}

template std::unique_ptr<PmBackend<float>> make_cuda_backend<float>(const SimSpec&,
                                                                    const CosmologyTables&);
template std::unique_ptr<PmBackend<double>> make_cuda_backend<double>(const SimSpec&,
                                                                      const CosmologyTables&);

}  // namespace cosmograd::sim
