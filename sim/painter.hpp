// Mass assignment (paint) of particles onto a mesh and its transpose (readout):
// CIC, TSC and PCS (Hockney & Eastwood 1988, ch. 5). Mesh point i sits at x = i L / n.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "sim/field.hpp"
#include "sim/particles.hpp"

namespace cosmograd::sim {

/// Mass-assignment window; the value is its order p (support of p cells per axis).
enum class PaintKernel { cic = 2, tsc = 3, pcs = 4 };

/// Parses "cic", "tsc" or "pcs"; throws std::invalid_argument naming `field` otherwise.
PaintKernel parse_paint_kernel(const std::string& name, const std::string& field = "painter");
/// "cic", "tsc" or "pcs".
const char* paint_kernel_name(PaintKernel k);
/// Order p of the window (2, 3, 4).
inline int paint_order(PaintKernel k) { return static_cast<int>(k); }

/// Adds `mass` per particle onto the real-space `mesh` of a box of side `box_size` with
/// window `kernel`, at positions x + shift (shift in cells along every axis, e.g. 0.5 for
/// an interlaced mesh). Parallel over x-chunks of fixed width painted in two colours, so
/// the result is race-free and bitwise identical for any thread count.
template <class T>
void paint(Field<T>& mesh, const Particles<T>& particles, double box_size, PaintKernel kernel,
           T mass, double shift = 0.0);

/// paint() for positions given as an array of 3 coordinates per point [Mpc/h].
template <class T>
void paint(Field<T>& mesh, const std::vector<T>& positions, double box_size, PaintKernel kernel,
           T mass, double shift = 0.0);

/// Interpolates the real-space `mesh` to every particle with window `kernel` (the
/// transpose of paint with the same shift): out[stride * j] = sum_cells W(x_j + shift -
/// cell) mesh(cell), shift in cells.
template <class T>
void readout(const Field<T>& mesh, const Particles<T>& particles, double box_size,
             PaintKernel kernel, T* out, std::size_t stride = 1, double shift = 0.0);

/// readout() of three meshes at once (e.g. the components of a force): out[3 j + d] =
/// sum_cells W(x_j + shift - cell) meshes[d](cell); the window is evaluated once.
template <class T>
void readout3(const Field<T>* const meshes[3], const Particles<T>& particles, double box_size,
              PaintKernel kernel, T* out, double shift = 0.0);

}  // namespace cosmograd::sim
