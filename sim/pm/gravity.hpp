// Particle-mesh gravity: paint, Poisson solve in Fourier space, gradient, readout.
#pragma once

#include <array>
#include <vector>

#include "sim/mesh/fft.hpp"
#include "sim/mesh/fourier.hpp"
#include "sim/mesh/painter.hpp"
#include "sim/mesh/plane_order.hpp"

namespace cosmograd::sim {

/// Where the fd4 gradient is applied. Real space: one c2r to the potential, and FastPM's
/// 4th-order difference formed during the readout from the potential itself
/// (sim/mesh/fd4_readout.hpp): 2 FFTs and one mesh per force and per vjp. Fourier space: one
/// c2r per component into three force meshes (4 FFTs, 3 meshes). Identical in exact
/// arithmetic (to 1e-12 in double). `automatic` takes real space: the stencil sums run in
/// double from the stored potential, so float loses nothing measurable (the float adjoint
/// agrees with checkpointing to 1.9e-6, tests/sim/test_adjoint.cpp).
enum class Fd4Path { automatic, real_space, fourier };

/// Choices of the PM force.
struct ForceOptions {
  PaintKernel painter = PaintKernel::cic;         ///< paint and readout window
  GradientKernel gradient = GradientKernel::fd4;  ///< FastPM's default
  bool deconvolve = false;                ///< divide by W(k)^2 to undo paint and readout windows
  Fd4Path fd4_path = Fd4Path::automatic;  ///< where fd4 differentiates (Fd4Path)
};

/// Seconds spent in each phase of the force and of its vjp, accumulated over calls [s].
struct ForceTimings {
  double paint = 0, r2c = 0, kernels = 0, c2r = 0, readout = 0;  ///< accelerations()
  /// accelerations_vjp(): recomputing the potential or force meshes (paint, r2c, kernels,
  /// c2r); the readout fused with the direct gradient; painting the cotangents (through the
  /// transposed stencil on the real-space path); their r2c (1, or 3 on the Fourier path);
  /// the transposed kernels; 1 c2r; the gather of the density term. `paint` includes sorting
  /// the particles by mesh row (sim/mesh/plane_order.hpp).
  double vjp_forward = 0, vjp_readout = 0, vjp_paint = 0, vjp_r2c = 0, vjp_kernels = 0, vjp_c2r = 0,
         vjp_gather = 0;
  /// Sum of the accelerations() phases [s].
  double total() const { return paint + r2c + kernels + c2r + readout; }
  /// Sum of the accelerations_vjp() phases [s].
  double vjp_total() const {
    return vjp_forward + vjp_readout + vjp_paint + vjp_r2c + vjp_kernels + vjp_c2r + vjp_gather;
  }
};

/// PM accelerations on an n^3 mesh (Hockney & Eastwood 1988; FastPM, Feng et al. 2016):
/// laplacian(phi) = (3/2) Omega_m delta with the exact Green's function -1/k^2, and
/// acc = -grad(phi) [Mpc/h, H0 = 1 units] read out at the particles. The force mesh sits
/// half a cell off the particle lattice, so that lattice particles fall between mesh points
/// where the CIC window is smooth (on mesh points, the painted density of a slightly
/// perturbed lattice is not linear in the displacements and linear growth suffers).
template <class T>
class Gravity {
 public:
  /// A solver on an n^3 mesh over a box of side box_size [Mpc/h], split into FFTW-MPI slabs
  /// over `comm` (particles must then sit on the rank of their slab: migrate()).
  Gravity(int mesh, double box_size, int threads, FftPlanning planning, ForceOptions options,
          const Comm& comm = Comm::self());
  /// acc[3j + d] = -d phi / dx_d at particle j. `total_particles` (over all ranks) sets the
  /// mean density. Collective.
  void accelerations(const Particles<T>& p, double Omega_m, std::size_t total_particles,
                     std::vector<T>& acc);
  /// Vector-Jacobian product of accelerations() (pmwd, Li et al. 2022): ADDS to grad
  /// (3 per particle, sized and zeroed by the caller) the gradient of
  /// J = sum_j acc_cot_j . acc_j with respect to the displacements [J per Mpc/h], and
  /// returns this rank's part of dJ/dOmega_m (= J / Omega_m, Omega_m > 0: the force is linear
  /// in it; sum it over ranks). When `acc` is not
  /// null it also receives the accelerations, bitwise equal to accelerations(). Costs about
  /// two forces and uses no mesh beyond the forward's.
  double accelerations_vjp(const Particles<T>& p, double Omega_m, std::size_t total_particles,
                           const std::vector<T>& acc_cot, std::vector<T>& grad,
                           std::vector<T>* acc = nullptr);
  /// The overdensity delta = rho / rho_mean - 1 of `p` on this mesh (real space, not
  /// deconvolved, mesh point i at i L / n), using the solver's window; returns the
  /// internal buffer (this rank's slab), valid until the next call. Collective.
  const Field<T>& density(const Particles<T>& p, std::size_t total_particles);
  /// The solver's mesh (this rank's slab with its ghost planes), free between calls: the
  /// next call overwrites it. Outputs paint into it instead of allocating their own.
  Field<T>& scratch_mesh() { return rho_; }
  /// The solver's particle order, free between calls like scratch_mesh(): outputs sort into
  /// it instead of allocating their own (20 or 32 B per particle).
  PlaneOrder& scratch_order() { return order_; }
  /// Accumulated timings.
  const ForceTimings& timings() const { return timings_; }
  /// Resets the timings to zero.
  void reset_timings() { timings_ = ForceTimings{}; }
  /// The mesh layout (this rank's slab, with the ghost planes the particles need).
  const Decomposition& decomp() const { return decomp_; }
  /// The options.
  const ForceOptions& options() const { return options_; }

 private:
  /// Mass per particle in units of the mean mass per cell: n^3 / total_particles.
  T particle_mass(std::size_t total_particles) const;
  /// Sorts the particles by mesh row (order_) and paints rho / rho_mean (mean 1) into rho_,
  /// positions shifted by `shift` cells.
  void paint_mass(const Particles<T>& p, std::size_t total_particles, double shift);
  /// Whether options `o` apply the gradient in real space (fd4; Fd4Path).
  static bool real_space_gradient(const ForceOptions& o) {
    if (o.gradient != GradientKernel::fd4) return false;
    return o.fd4_path != Fd4Path::fourier;  // automatic: real space
  }
  /// The mesh layout for `options`: the window's ghost planes, and the stencil's two more
  /// each side when the real-space gradient reads the potential across slabs.
  static Decomposition force_decomposition(int mesh, const Comm& comm, const ForceOptions& options);
  /// Paints the density (paint_mass) and transforms it: rho_k in rho_.
  void density_modes(const Particles<T>& p, std::size_t total_particles, ForceTimings& t);
  /// Leaves the potential phi (laplacian phi = (3/2) Omega_m delta) in rho_, ghosts filled,
  /// adding the phases' times to `t`.
  void potential(const Particles<T>& p, double Omega_m, std::size_t total_particles,
                 ForceTimings& t);
  /// Fourier-space gradient: leaves the real-space force components x, y, z in work_[0],
  /// work_[1], rho_ (the returned order), ghosts filled, adding the phases' times to `t`.
  std::array<Field<T>*, 3> force_meshes(const Particles<T>& p, double Omega_m,
                                        std::size_t total_particles, ForceTimings& t);

  Decomposition decomp_;
  double box_;
  ForceOptions options_;
  Fft<T> fft_;
  Field<T> rho_;                // painted density, its Fourier modes, the potential (or acc_z)
  std::vector<Field<T>> work_;  // acc_x and acc_y of the Fourier-space gradient (made on use)
  PlaneOrder order_;            // the particles by mesh row, sorted at each paint_mass()
  ForceTimings timings_;
};

}  // namespace cosmograd::sim
