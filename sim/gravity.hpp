// Particle-mesh gravity: paint, Poisson solve in Fourier space, gradient, readout.
#pragma once

#include <vector>

#include "sim/fft.hpp"
#include "sim/fourier.hpp"
#include "sim/painter.hpp"

namespace cosmograd::sim {

/// Choices of the PM force.
struct ForceOptions {
  PaintKernel painter = PaintKernel::cic;         ///< paint and readout window
  GradientKernel gradient = GradientKernel::fd4;  ///< FastPM's default
  bool deconvolve = false;  ///< divide by W(k)^2 to undo paint and readout windows
};

/// Seconds spent in each phase of the force, accumulated over calls [s].
struct ForceTimings {
  double paint = 0, r2c = 0, kernels = 0, c2r = 0, readout = 0;
  /// Sum of all phases [s].
  double total() const { return paint + r2c + kernels + c2r + readout; }
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
  /// A solver on an n^3 mesh over a box of side box_size [Mpc/h].
  Gravity(int mesh, double box_size, int threads, FftPlanning planning, ForceOptions options);
  /// acc[3j + d] = -d phi / dx_d at particle j. `total_particles` sets the mean density.
  void accelerations(const Particles<T>& p, double Omega_m, std::size_t total_particles,
                     std::vector<T>& acc);
  /// The overdensity delta = rho / rho_mean - 1 of `p` on this mesh (real space, not
  /// deconvolved, mesh point i at i L / n), using the solver's window; returns the
  /// internal buffer, valid until the next call.
  const Field<T>& density(const Particles<T>& p, std::size_t total_particles);
  /// Accumulated timings.
  const ForceTimings& timings() const { return timings_; }
  /// Resets the timings to zero.
  void reset_timings() { timings_ = ForceTimings{}; }
  /// The mesh layout.
  const Decomposition& decomp() const { return decomp_; }
  /// The options.
  const ForceOptions& options() const { return options_; }

 private:
  /// Paints rho / rho_mean (mean 1) into rho_, positions shifted by `shift` cells.
  void paint_mass(const Particles<T>& p, std::size_t total_particles, double shift);

  Decomposition decomp_;
  double box_;
  ForceOptions options_;
  Fft<T> fft_;
  Field<T> rho_;      // painted density, then its Fourier modes, then acc_z
  Field<T> work_[2];  // acc_x and acc_y
  ForceTimings timings_;
};

}  // namespace cosmograd::sim
