// Mass assignment (paint) of particles onto a mesh and its transpose (readout):
// CIC, TSC and PCS (Hockney & Eastwood 1988, ch. 5). Mesh point i sits at x = i L / n.
// Each operator has its vector-Jacobian product beside it (as in pmwd, Li et al. 2022):
// gradients with respect to particle positions use the windows' derivatives.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "sim/mesh/field.hpp"
#include "sim/mesh/particles.hpp"
#include "sim/mesh/plane_order.hpp"
#include "sim/mesh/window.hpp"

namespace cosmograd::sim {

/// Adds `mass` per particle onto the real-space `mesh` of a box of side `box_size` with
/// window `kernel`, at positions x + shift (shift in cells along every axis, e.g. 0.5 for
/// an interlaced mesh). Walks the particles in the plane order `order` (sorted for these
/// particles, this mesh and this shift: one sort serves every paint at the same positions;
/// sorted here when null), parallel over x-chunks of fixed width painted in two colours,
/// so the result is race-free and bitwise identical for any thread count. The paints below
/// that take an `order` check that it matches.
template <class T>
void paint(Field<T>& mesh, const Particles<T>& particles, double box_size, PaintKernel kernel,
           T mass, double shift = 0.0, const PlaneOrder* order = nullptr);

/// paint() with weight weights[stride * j] for particle j instead of one mass (same
/// deterministic, thread-count independent scheme).
template <class T>
void paint_weighted(Field<T>& mesh, const Particles<T>& particles, double box_size,
                    PaintKernel kernel, const T* weights, std::size_t stride, double shift = 0.0,
                    const PlaneOrder* order = nullptr);

/// paint_weighted() of three weight components at once into three meshes of one layout:
/// meshes[d] += sum_j weights[3 j + d] W(x_j + shift - cell); the window is evaluated once.
/// The transpose of readout3() with respect to the meshes.
template <class T>
void paint3_weighted(Field<T>* const meshes[3], const Particles<T>& particles, double box_size,
                     PaintKernel kernel, const T* weights, double shift = 0.0,
                     const PlaneOrder* order = nullptr);

/// Vector-Jacobian product of paint() with respect to the particle positions (= the
/// displacements): grad[3 j + d] += mass sum_cells dW(x_j + shift - cell)/dx_d cot(cell),
/// for the mesh cotangent `cot` [grad in cot units per Mpc/h; 3 per particle]. With `order`
/// (sorted for these particles, this mesh and shift) CIC walks it: the same values, read in
/// mesh order.
template <class T>
void paint_vjp(const Field<T>& cot, const Particles<T>& particles, double box_size,
               PaintKernel kernel, T mass, T* grad, double shift = 0.0,
               const PlaneOrder* order = nullptr);

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

/// Vector-Jacobian product of readout() for the cotangents out_cot[stride * j]: adds
/// out_cot_j sum_cells dW(x_j + shift - cell)/dx_d mesh(cell) to grad_disp[3 j + d]
/// [per Mpc/h] and paint_weighted(out_cot) to grad_mesh; either output may be null.
template <class T>
void readout_vjp(const Field<T>& mesh, const Particles<T>& particles, double box_size,
                 PaintKernel kernel, const T* out_cot, std::size_t stride, T* grad_disp,
                 Field<T>* grad_mesh, double shift = 0.0);

/// Vector-Jacobian product of readout3() with respect to the positions, for cotangents
/// out_cot[3 j + m]: grad[3 j + d] += sum_m out_cot[3 j + m] sum_cells dW/dx_d meshes[m]
/// [per Mpc/h]. Window and derivative are evaluated once per particle; when `out` is not
/// null the same pass also writes readout3() there (bitwise equal). Returns
/// sum_j out_cot_j . readout3_j (summed in double in a thread-independent order).
template <class T>
double readout3_vjp_positions(const Field<T>* const meshes[3], const Particles<T>& particles,
                              double box_size, PaintKernel kernel, const T* out_cot, T* grad,
                              double shift = 0.0, T* out = nullptr);

}  // namespace cosmograd::sim
