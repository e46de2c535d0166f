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

/// Width in planes of a paint chunk for a window of `support` cells: two chunks of the
/// same colour (c and c + 2) never touch the same plane when the width is at least
/// support - 1. Never below 4, the width the painter has always used, so the CIC/TSC/PCS
/// sums keep their order (and their bits).
constexpr int paint_chunk_width(int support) { return support - 1 > 4 ? support - 1 : 4; }

/// A registered window: name, support and what follows from it.
struct Window {
  PaintKernel id;    ///< identity
  const char* name;  ///< key value ("cic", ...)
  int support;       ///< cells per axis the window touches (the B-spline order p)
  const char* help;  ///< one line for --help

  /// Ghost planes below a slab for painting particles of the slab (floor(u) in [xb, xe]):
  /// the first touched plane is floor(u) - (p/2 - 1) for even p, floor(u + 1/2) - (p-1)/2
  /// for odd p.
  int ghost_lo() const { return support % 2 == 0 ? support / 2 - 1 : (support - 1) / 2; }
  /// Ghost planes above a slab (the last touched plane lies at most this far past the slab's
  /// last owned plane).
  int ghost_hi() const { return support % 2 == 0 ? support / 2 + 1 : (support + 1) / 2 + 1; }
  /// Width in planes of a paint chunk (paint_chunk_width()).
  int chunk_width() const { return paint_chunk_width(support); }
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
