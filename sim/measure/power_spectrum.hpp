// Power spectrum and cross-power estimators (FastPM / nbodykit conventions, REFERENCES.md):
// delta_k = (1/N^3) sum_x delta(x) e^{-ik.x}, P(k) = V |delta_k|^2, linear bins of width k_F.
#pragma once

#include <string>
#include <vector>

#include "sim/mesh/fft.hpp"
#include "sim/mesh/painter.hpp"

namespace cosmograd::sim {

/// Binned spectrum; bins with no modes are dropped.
struct PowerSpectrum {
  std::vector<double> k;      ///< mean |k| of the modes in each bin [h/Mpc]
  std::vector<double> power;  ///< P(k) [(Mpc/h)^3] (shot noise subtracted if asked)
  std::vector<double> modes;  ///< number of modes (k and -k both counted)
  double shot_noise = 0;      ///< V / N_particles [(Mpc/h)^3] (0 for a field)
  double box_size = 0;        ///< box side [Mpc/h]
};

/// How particles are turned into a Fourier-space density for measurements.
struct PowerOptions {
  int mesh = 0;                           ///< mesh cells per side (0: the caller's default)
  PaintKernel window = PaintKernel::cic;  ///< mass assignment; compensated by 1/W(k)
  bool interlace = false;                 ///< average with a half-cell shifted mesh
  bool subtract_shot_noise = true;        ///< subtract V / N_particles
  double dk = 0;                          ///< bin width [h/Mpc] (0: k_F = 2 pi / L)
  double k_max = 0;                       ///< last bin edge [h/Mpc] (0: Nyquist k_F n/2)
};

/// Fourier-space overdensity delta_k of particles, window-compensated (and interlaced),
/// normalised as in this file. `total_particles` (all ranks) sets the mean density. With
/// `particles_mesh` (the layout the particles were migrated for, e.g. Gravity::decomp()) the
/// modes are distributed over its ranks (fft must then be planned for Decomposition(o.mesh,
/// its comm)); collective.
template <class T>
Field<T> density_modes(const Particles<T>& p, std::size_t total_particles, const PowerOptions& o,
                       const Fft<T>& fft, const Decomposition* particles_mesh = nullptr);

/// Auto power V <|a_k|^2> of Fourier-space modes `a` (this file's normalisation), binned
/// with o.dk and o.k_max; summed over the ranks of a distributed `a` (collective).
template <class T>
PowerSpectrum power_spectrum(const Field<T>& a, double box_size, const PowerOptions& o);

/// Cross power Re<a b*> V of two Fourier-space fields on the same mesh.
template <class T>
PowerSpectrum cross_power(const Field<T>& a, const Field<T>& b, double box_size,
                          const PowerOptions& o);

/// density_modes() for points given as 3 coordinates each [Mpc/h] in a box of side L.
template <class T>
Field<T> density_modes(const std::vector<T>& positions, double box_size,
                       std::size_t total_particles, const PowerOptions& o, const Fft<T>& fft);

/// P(k) of particles: density_modes(), then power_spectrum(), minus shot noise if asked;
/// distributed over the ranks of `particles_mesh` when given (collective). `work`, when
/// given and of a layout that holds the power mesh (same n and slab, enough ghost planes),
/// is used (overwritten) for the unshifted mesh instead of a new allocation: a run passes
/// its force mesh, free between force calls. `order`, when given with `work`, is sorted
/// (overwritten) for each paint instead of a temporary sort: a run passes its force's.
template <class T>
PowerSpectrum particle_power(const Particles<T>& p, std::size_t total_particles,
                             const PowerOptions& o, int threads,
                             const Decomposition* particles_mesh = nullptr,
                             Field<T>* work = nullptr, PlaneOrder* order = nullptr);

/// particle_power() for points given as 3 coordinates each [Mpc/h] (e.g. a snapshot).
template <class T>
PowerSpectrum point_power(const std::vector<T>& positions, double box_size, const PowerOptions& o,
                          int threads);

/// r(k) = P_ab / sqrt(P_aa P_bb), bin by bin (spectra must share bins).
std::vector<double> correlation_coefficient(const PowerSpectrum& ab, const PowerSpectrum& aa,
                                            const PowerSpectrum& bb);

/// Plain text with a '#' header: k [h/Mpc], P [(Mpc/h)^3], N_modes; written atomically.
void write_power_text(const std::string& path, const PowerSpectrum& ps, const std::string& comment);

/// Reads a file written by write_power_text (or any 3-column k P N text).
PowerSpectrum read_power_text(const std::string& path);

}  // namespace cosmograd::sim
