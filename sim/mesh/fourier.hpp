// Fourier-space kernels shared by gravity, LPT and measurements (w = k dx per axis).
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "sim/mesh/window.hpp"

namespace cosmograd::sim {

/// Gradient operator in Fourier space.
enum class GradientKernel {
  exact,  ///< i k, with the Nyquist mode zeroed
  fd4     ///< 4th-order finite difference i (8 sin w - sin 2w) / (6 dx) (FastPM's default)
};

/// A registered force-gradient kernel (its transfer function is gradient_k()).
struct GradientKernelInfo {
  GradientKernel id;  ///< identity
  const char* name;   ///< key value ("fd4", ...)
  const char* help;   ///< one line for --help
};
/// Every registered gradient kernel (fourier.cpp), in registration order.
const std::vector<GradientKernelInfo>& gradient_kernels();
/// The kernel named `name`; throws std::invalid_argument naming `field` and the registered
/// names otherwise.
GradientKernel parse_gradient_kernel(const std::string& name,
                                     const std::string& field = "force_gradient");
/// The kernel's name ("exact", "fd4").
const char* gradient_kernel_name(GradientKernel g);
/// The registered names with their help, for help texts ("fd4 (...) or exact (...)").
std::string gradient_kernel_choices();

/// sin(x)/x, with the limit 1 at x = 0.
inline double sinc(double x) { return std::abs(x) < 1e-8 ? 1.0 - x * x / 6.0 : std::sin(x) / x; }

/// Mass-assignment window along one axis: sinc(w/2)^p for integer mode m of an n mesh.
inline double window_1d(PaintKernel k, int m, int n) {
  const double w = 2.0 * M_PI * m / n;
  return std::pow(sinc(0.5 * w), paint_order(k));
}

/// Effective wavenumber of the gradient along one axis for integer mode m of an n mesh in
/// a box of side L [h/Mpc] (multiply by i to get the operator).
inline double gradient_k(GradientKernel g, int m, int n, double box) {
  const double dx = box / n;
  if (g == GradientKernel::exact) return 2 * m == -n || 2 * m == n ? 0.0 : 2.0 * M_PI * m / box;
  const double w = 2.0 * M_PI * m / n;
  return (8.0 * std::sin(w) - std::sin(2.0 * w)) / (6.0 * dx);
}

}  // namespace cosmograd::sim
