#include "sim/mesh/fourier.hpp"

#include <stdexcept>

namespace cosmograd::sim {

const std::vector<GradientKernelInfo>& gradient_kernels() {
  static const std::vector<GradientKernelInfo> all = {
      {GradientKernel::fd4, "fd4", "FastPM's 4th-order finite difference"},
      {GradientKernel::exact, "exact", "i k, Nyquist zeroed"},
  };
  return all;
}

GradientKernel parse_gradient_kernel(const std::string& name, const std::string& field) {
  std::string allowed;
  for (const GradientKernelInfo& g : gradient_kernels()) {
    if (name == g.name) return g.id;
    allowed += (allowed.empty() ? "" : ", ") + std::string(g.name);
  }
  throw std::invalid_argument(field + " = '" + name +
                              "' is not a gradient kernel (allowed: " + allowed + ")");
}

const char* gradient_kernel_name(GradientKernel g) {
  for (const GradientKernelInfo& k : gradient_kernels()) {
    if (k.id == g) return k.name;
  }
  return "?";
}

std::string gradient_kernel_choices() {
  const auto& all = gradient_kernels();
  std::string s;
  for (std::size_t i = 0; i < all.size(); ++i) {
    s += std::string(i == 0                ? ""
                     : i + 1 == all.size() ? " or "
                                           : ", ") +
         all[i].name + " (" + all[i].help + ")";
  }
  return s;
}

}  // namespace cosmograd::sim
