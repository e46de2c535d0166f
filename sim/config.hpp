// Validated configurations built from Settings, and the documented keys of each command.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/backend.hpp"
#include "sim/cosmology.hpp"
#include "sim/fft_planning.hpp"
#include "sim/fof.hpp"
#include "sim/fourier.hpp"
#include "sim/painter.hpp"
#include "sim/settings.hpp"
#include "sim/time_grid.hpp"

namespace cosmograd::sim {

/// Keys of the cosmology (Omega_m, ..., transfer); shared by `run` and `theory`.
const std::vector<KeySpec>& cosmology_keys();
/// Keys of `cosmograd run`: the cosmology keys plus the simulation's.
const std::vector<KeySpec>& run_keys();

/// CosmologyParams from the cosmology keys (validated).
CosmologyParams cosmology_from(const Settings& s);

/// The transfer-function choice of the cosmology keys.
struct TransferChoice {
  std::string name;        ///< registry name (eisenstein_hu, eisenstein_hu_nowiggle, table)
  std::string table_path;  ///< file for `table`
};
/// TransferChoice from the cosmology keys.
TransferChoice transfer_from(const Settings& s);

/// An immutable, validated simulation configuration (`cosmograd run`).
struct SimConfig {
  CosmologyParams cosmology;                  ///< parameters
  TransferChoice transfer;                    ///< linear power
  double box_size = 256;                      ///< box side [Mpc/h]
  int particles = 128;                        ///< particles per side
  int mesh = 256;                             ///< force mesh cells per side
  double a_init = 0.1;                        ///< scale factor of the initial conditions
  int steps = 10;                             ///< time steps
  StepSpacing spacing = StepSpacing::linear;  ///< step spacing
  std::vector<double> a_list;              ///< explicit time grid (overrides a_init/steps when set)
  std::vector<double> z_out;               ///< output redshifts, decreasing
  std::uint64_t seed = 42;                 ///< white-noise realisation
  int lpt_order = 2;                       ///< 1 or 2
  bool fixed_amplitude = false;            ///< |delta_k| fixed to its rms
  bool paired = false;                     ///< phases flipped
  std::string ic_linear_field;             ///< HDF5 linear field to start from ("" = white noise)
  PaintKernel painter = PaintKernel::cic;  ///< force paint/readout window
  GradientKernel gradient = GradientKernel::fd4;    ///< force gradient
  bool force_deconvolve = false;                    ///< divide the force by W(k)^2
  bool double_precision = false;                    ///< particles and meshes in float64
  int threads = 0;                                  ///< OpenMP threads (0: all available)
  Device device = Device::cpu;                      ///< compute backend (cpu or cuda)
  FftPlanning fft_planning = FftPlanning::measure;  ///< FFTW planning effort
  std::string output_dir = "cosmograd-out";         ///< where outputs go
  bool overwrite = false;       ///< replace an earlier run's outputs in output_dir (else refuse)
  bool write_snapshot = true;   ///< Gadget-4 HDF5 snapshot at each z_out
  bool write_density = true;    ///< density mesh (HDF5) at each z_out
  bool snapshot_kpc = true;     ///< snapshot lengths in kpc/h (yt's default) or Mpc/h
  int snapshot_files = 0;       ///< files per snapshot (0: one per MPI rank)
  int power_mesh = 0;           ///< mesh for P(k) measurements (0: the force mesh)
  bool power_interlace = true;  ///< interlaced P(k) measurement
  bool progress = true;         ///< progress bar with ETA
  bool halos = false;           ///< FoF catalogue and mass function at each output
  FofOptions fof;               ///< FoF linking length and minimum members

  /// a of the last output (the end of the run).
  double a_final() const;
  /// The time grid: a_list, or make_time_grid() with the outputs inserted.
  std::vector<double> time_grid() const;
};

/// SimConfig from `cosmograd run`'s keys; throws std::invalid_argument naming the key,
/// its value and what is allowed.
SimConfig sim_config_from(const Settings& s);

}  // namespace cosmograd::sim
