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
/// acc = -grad(phi) [Mpc/h, H0 = 1 units] read out at the particles.
template <class T>
class Gravity {
 public:
  /// A solver on an n^3 mesh over a box of side box_size [Mpc/h].
  Gravity(int mesh, double box_size, int threads, FftPlanning planning, ForceOptions options);
  /// acc[3j + d] = -d phi / dx_d at particle j. `total_particles` sets the mean density.
  void accelerations(const Particles<T>& p, double Omega_m, std::size_t total_particles,
                     std::vector<T>& acc);
  /// The overdensity delta = rho / rho_mean - 1 of `p` on this mesh (real space, not
  /// deconvolved), using the solver's window; returns the internal buffer.
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
  Decomposition decomp_;
  double box_;
  ForceOptions options_;
  Fft<T> fft_;
  Field<T> rho_;   // painted density, then its Fourier modes
  Field<T> work_;  // one component of the acceleration
  ForceTimings timings_;
};

}  // namespace cosmograd::sim
