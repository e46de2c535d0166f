#include "sim/mesh/fourier.hpp"

#include <stdexcept>

namespace cosmograd::sim {

GradientKernel parse_gradient_kernel(const std::string& name, const std::string& field) {
  if (name == "exact") return GradientKernel::exact;
  if (name == "fd4") return GradientKernel::fd4;
  throw std::invalid_argument(field + " = '" + name +
                              "' is not a gradient kernel (allowed: exact, fd4)");
}

const char* gradient_kernel_name(GradientKernel g) {
  return g == GradientKernel::exact ? "exact" : "fd4";
}

}  // namespace cosmograd::sim
