#include "sim/mesh/window.hpp"

#include <stdexcept>

namespace cosmograd::sim {

const std::vector<Window>& windows() {
  // One line per window (and its PaintKernel value). Supports 2 to 6 have weights on the CPU
  // and on CUDA (sim/mesh/window_weights.hpp: closed forms for 2-4, B-splines otherwise).
  static const std::vector<Window> all = {
      {PaintKernel::cic, "cic", 2, "cloud in cell (linear)"},
      {PaintKernel::tsc, "tsc", 3, "triangular shaped cloud (quadratic)"},
      {PaintKernel::pcs, "pcs", 4, "piecewise cubic spline"},
  };
  return all;
}

const Window& window(PaintKernel k) {
  for (const Window& w : windows()) {
    if (w.id == k) return w;
  }
  throw std::invalid_argument("unregistered mass-assignment window " +
                              std::to_string(static_cast<int>(k)));
}

PaintKernel parse_paint_kernel(const std::string& name, const std::string& field) {
  for (const Window& w : windows()) {
    if (name == w.name) return w.id;
  }
  throw std::invalid_argument(
      field + " = '" + name +
      "' is not a mass-assignment window (allowed: " + paint_kernel_names() + ")");
}

const char* paint_kernel_name(PaintKernel k) { return window(k).name; }

std::string paint_kernel_names() {
  std::string s;
  for (const Window& w : windows()) s += (s.empty() ? "" : ", ") + std::string(w.name);
  return s;
}

}  // namespace cosmograd::sim
