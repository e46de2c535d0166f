// Particle-mesh gravity: paint, Poisson solve in Fourier space, gradient, readout.
#pragma once

#include <array>
#include <vector>

#include "sim/mesh/fft.hpp"
#include "sim/mesh/fourier.hpp"
#include "sim/mesh/painter.hpp"

namespace cosmograd::sim {

/// Where the fd4 gradient is applied. Real space: one c2r to the potential, then FastPM's
/// 4th-order difference (2 FFTs per force and per vjp); Fourier space: one c2r per component
/// (4 each). Identical in exact arithmetic (to 1e-12 in double). In float, differencing the
/// rounded potential makes the force's rounding noise larger on cosmological fields, and the
/// float adjoint's time reversal drifts ~100x more (tests/sim/test_adjoint.cpp: noise
/// gradient 1.4e-4 vs 1.3e-6 against checkpointing), so `automatic` takes real space in
/// double and Fourier space in float.
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
  /// accelerations_vjp(): recomputing the force meshes (paint, r2c, kernels, c2r); the
  /// readout fused with the direct gradient; painting the cotangents; their r2c (3, or 1
  /// after the real-space stencil); the transposed kernels; 1 c2r; the gather of the density
  /// term. `kernels` includes the real-space stencils of the fd4 path.
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
  /// two forces and uses no mesh beyond the forward's three.
  double accelerations_vjp(const Particles<T>& p, double Omega_m, std::size_t total_particles,
                           const std::vector<T>& acc_cot, std::vector<T>& grad,
                           std::vector<T>* acc = nullptr);
  /// The overdensity delta = rho / rho_mean - 1 of `p` on this mesh (real space, not
  /// deconvolved, mesh point i at i L / n), using the solver's window; returns the
  /// internal buffer (this rank's slab), valid until the next call. Collective.
  const Field<T>& density(const Particles<T>& p, std::size_t total_particles);
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
  /// Paints rho / rho_mean (mean 1) into rho_, positions shifted by `shift` cells.
  void paint_mass(const Particles<T>& p, std::size_t total_particles, double shift);
  /// Whether options `o` apply the gradient in real space (fd4; Fd4Path).
  static bool real_space_gradient(const ForceOptions& o) {
    if (o.gradient != GradientKernel::fd4) return false;
    if (o.fd4_path == Fd4Path::automatic) return sizeof(T) == sizeof(double);
    return o.fd4_path == Fd4Path::real_space;
  }
  /// The mesh layout for `options`: the window's ghost planes, and at least two each side
  /// when the real-space stencil reads the potential across slabs.
  static Decomposition force_decomposition(int mesh, const Comm& comm, const ForceOptions& options);
  /// Leaves the real-space force components x, y, z in work_[0], work_[1], rho_ (the
  /// returned order), adding the phases' times to `t`.
  std::array<Field<T>*, 3> force_meshes(const Particles<T>& p, double Omega_m,
                                        std::size_t total_particles, ForceTimings& t);

  Decomposition decomp_;
  double box_;
  ForceOptions options_;
  Fft<T> fft_;
  Field<T> rho_;      // painted density, then its Fourier modes, then acc_z
  Field<T> work_[2];  // acc_x and acc_y
  ForceTimings timings_;
};

}  // namespace cosmograd::sim
