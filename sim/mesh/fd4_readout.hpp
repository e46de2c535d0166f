// The readout of a mesh's 4th-order finite-difference gradient at the particles, formed
// during the readout from the mesh itself (no gradient meshes), its transpose and its vjp.
// The PM force reads -grad(phi) out of the potential this way (sim/pm/gravity.cpp).
#pragma once

#include <cstddef>

#include "sim/mesh/field.hpp"
#include "sim/mesh/particles.hpp"
#include "sim/mesh/plane_order.hpp"
#include "sim/mesh/window.hpp"

namespace cosmograd::sim {

/// Planes beyond the window's ghost planes that these operators read or write each side of
/// a slab (the stencil's half width).
inline constexpr int kFd4StencilHalfWidth = 2;

/// out[3 j + d] = scale sum_cells W(x_j + shift - cell) (D_d mesh)(cell), with D_d FastPM's
/// 4th-order central difference along axis d in cells (Feng et al. 2016),
/// (D f)(i) = [8 (f(i+1) - f(i-1)) - (f(i+2) - f(i-2))] / 12, whose transfer function is
/// i (8 sin w - sin 2w) / 6. Evaluated as sum_cells (D_d^T W)(cell) mesh(cell): P + 4 planes
/// of the mesh per particle (P the window's support), no gradient meshes. The mesh's ghost
/// planes must be filled (window ghosts + kFd4StencilHalfWidth each side when distributed).
/// CIC walks `order` (the particles sorted for this mesh and shift, as for the paint; sorted
/// here when null); other windows walk the particles in index order.
template <class T>
void readout_fd4_gradient(const Field<T>& mesh, const Particles<T>& particles, double box_size,
                          PaintKernel kernel, double scale, T* out, double shift = 0.0,
                          const PlaneOrder* order = nullptr);

/// The transpose of readout_fd4_gradient() with respect to the mesh: adds
/// scale sum_j sum_d cot[3 j + d] (D_d^T W_j)(cell) to `mesh` (ghost planes included: reduce
/// them afterwards). Race-free and bitwise identical for any thread count (paint(), whose
/// `order` it takes too).
template <class T>
void paint_fd4_gradient_transpose(Field<T>& mesh, const Particles<T>& particles, double box_size,
                                  PaintKernel kernel, double scale, const T* cot,
                                  double shift = 0.0, const PlaneOrder* order = nullptr);

/// Vector-Jacobian product of readout_fd4_gradient() with respect to the positions: adds
/// sum_m cot[3 j + m] d out[3 j + m] / dx_d to grad[3 j + d] [per Mpc/h]; writes the
/// readout itself to `out` when not null (the same values as readout_fd4_gradient()).
/// Returns sum_j cot_j . out_j, summed in double in a thread-independent order. `order` as
/// for readout_fd4_gradient().
template <class T>
double readout_fd4_gradient_vjp_positions(const Field<T>& mesh, const Particles<T>& particles,
                                          double box_size, PaintKernel kernel, double scale,
                                          const T* cot, T* grad, double shift = 0.0,
                                          T* out = nullptr, const PlaneOrder* order = nullptr);

}  // namespace cosmograd::sim
