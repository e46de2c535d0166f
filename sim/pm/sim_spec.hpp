// The engine's simulation spec: physics, resolution, time grid, device and precision. Output
// and interface options are not here (they are the driver's, driver/config.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/backend.hpp"
#include "sim/cosmo/cosmology.hpp"
#include "sim/cosmo/time_grid.hpp"
#include "sim/mesh/fft_planning.hpp"
#include "sim/mesh/fourier.hpp"
#include "sim/mesh/painter.hpp"

namespace cosmograd::sim {

/// The transfer-function choice of the cosmology keys.
struct TransferChoice {
  std::string name = "eisenstein_hu";  ///< registry name (eisenstein_hu, ..., table)
  std::string table_path;              ///< file for `table`
};

/// What a simulation is: the defaults here are the ones `cosmograd run` documents (its keys
/// are built from a default SimSpec, driver/config.cpp). Every engine entry point validates
/// it (validate()), so a spec filled field by field cannot bypass the checks of the keys.
struct SimSpec {
  CosmologyParams cosmology = planck2015();       ///< parameters
  TransferChoice transfer;                        ///< linear power
  double box_size = 256;                          ///< box side [Mpc/h]
  int particles = 128;                            ///< particles per side
  int mesh = 256;                                 ///< force mesh cells per side
  double a_init = 0.1;                            ///< scale factor of the initial conditions
  int steps = 10;                                 ///< time steps
  StepSpacing spacing = StepSpacing::linear;      ///< step spacing
  std::vector<double> a_list;                     ///< explicit time grid (overrides a_init/steps)
  std::vector<double> z_out{0.0};                 ///< output redshifts, decreasing
  std::uint64_t seed = 42;                        ///< white-noise realisation
  int lpt_order = 2;                              ///< 1 or 2
  bool fixed_amplitude = false;                   ///< |delta_k| fixed to its rms
  bool paired = false;                            ///< phases flipped
  std::string ic_linear_field;                    ///< HDF5 linear field to start from ("" = noise)
  PaintKernel painter = PaintKernel::cic;         ///< force paint/readout window
  GradientKernel gradient = GradientKernel::fd4;  ///< force gradient
  bool force_deconvolve = false;                  ///< divide the force by W(k)^2
  bool double_precision = false;                  ///< particles and meshes in float64
  int threads = 0;                                ///< OpenMP threads (0: all available)
  Device device = Device::cpu;                    ///< compute backend (cpu or cuda)
  FftPlanning fft_planning = FftPlanning::measure;  ///< FFTW planning effort

  /// a of the last output (the end of the run).
  double a_final() const;
  /// The time grid: a_list, or make_time_grid() with the outputs inserted.
  std::vector<double> time_grid() const;
  /// Throws std::invalid_argument naming the key (the field's name in `cosmograd run`), its
  /// value and what is allowed, for the first field out of range.
  void validate() const;
};

}  // namespace cosmograd::sim
