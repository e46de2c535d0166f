// Mass-assignment windows (Hockney & Eastwood 1988, §5-3): the B-spline of order p spans p
// cells per axis; W(k) = sinc(k dx / 2)^p. A window's identity (its name, PaintKernel) is
// apart from its support, and everything that depends on the support (paint chunk width,
// ghost planes, the Fourier transfer function) is derived from it here.
#pragma once

#include <string>
#include <vector>

namespace cosmograd::sim {

/// Identity of a mass-assignment window. The values are stable identifiers (stored as
/// integers in model files and autograd contexts), not the order: use window(k).support.
enum class PaintKernel { cic = 2, tsc = 3, pcs = 4 };

/// Planes below floor(u) that a window of `support` cells touches, u the position in cells:
/// the first touched plane is floor(u) - (p/2 - 1) for even p, floor(u + 1/2) - (p-1)/2 for
/// odd p.
constexpr int window_reach_below(int support) {
  return support % 2 == 0 ? support / 2 - 1 : (support - 1) / 2;
}
/// Planes above floor(u) that a window of `support` cells touches.
constexpr int window_reach_above(int support) {
  return support % 2 == 0 ? support / 2 : (support + 1) / 2;
}

/// A registered window: name, support and what follows from it.
struct Window {
  PaintKernel id;    ///< identity
  const char* name;  ///< key value ("cic", ...)
  int support;       ///< cells per axis the window touches (the B-spline order p)
  const char* help;  ///< one line for --help

  /// Ghost planes below a slab for painting particles of the slab (floor(u) in [xb, xe]).
  int ghost_lo() const { return window_reach_below(support); }
  /// Ghost planes above a slab (the last touched plane lies at most this far past the slab's
  /// last owned plane: floor(u) reaches xe + 1 at the slab's upper edge).
  int ghost_hi() const { return window_reach_above(support) + 1; }
};

/// Every registered window, in registration order (window.cpp).
const std::vector<Window>& windows();
/// The window of `k`.
const Window& window(PaintKernel k);
/// The window named `name`; throws std::invalid_argument "<field> = '<name>' is not a
/// mass-assignment window (allowed: cic, tsc, pcs)" otherwise.
PaintKernel parse_paint_kernel(const std::string& name, const std::string& field = "painter");
/// The window's name ("cic", ...).
const char* paint_kernel_name(PaintKernel k);
/// The registered names, ", "-separated (for help texts and errors).
std::string paint_kernel_names();
/// Order p of the window: its support in cells per axis.
inline int paint_order(PaintKernel k) { return window(k).support; }

}  // namespace cosmograd::sim
