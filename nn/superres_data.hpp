// Training data of super-resolution, made by the engine: for one white noise, a low-resolution
// PM run (N^3 particles) and a high-resolution PM run (f^3 N^3 particles) of the same box. The
// engine's white noise is resolution-independent (sim/mesh/white_noise.hpp: a mode gets the
// same number at every mesh size), so both runs share their large-scale modes and differ by
// the modes between the two Nyquist frequencies and by force resolution.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "sim/pm/sim_spec.hpp"

namespace cosmograd::nn {

/// What the pair simulations are (all stored as attributes of the data file).
struct SuperResDataOptions {
  double box_size = 64.0;   ///< box side [Mpc/h]
  int particles = 32;       ///< low-resolution particles per side N
  int factor = 2;           ///< high resolution has factor * N particles per side
  int mesh_ratio = 2;       ///< force mesh cells per particle per side, both runs
  int steps = 10;           ///< PM time steps, linear in a from a_init to 1, both runs
  double a_init = 0.1;      ///< scale factor of the 2LPT initial conditions
  double omega_m = 0.3089;  ///< Omega_m (planck2015 otherwise)
  double sigma8 = 0.8159;   ///< sigma8
  int threads = 0;          ///< threads (0: all)
};

/// The run of one resolution: planck2015 with Omega_m and sigma8 replaced, Eisenstein & Hu,
/// 2LPT, `steps` linear steps, `particles` per side and mesh_ratio x as many mesh cells.
/// Throws std::invalid_argument (naming the field) for a bad option.
sim::SimSpec superres_sim_spec(const SuperResDataOptions& o, int particles, std::uint64_t seed);

/// One training pair.
struct SuperResPair {
  torch::Tensor input;    ///< low-resolution PM run at a = 1: [6, N, N, N] float32 [Mpc/h]
  torch::Tensor target;   ///< high-resolution PM run at a = 1: [6, f N, f N, f N]
  double lr_seconds = 0;  ///< wall time of the low-resolution run [s]
  double hr_seconds = 0;  ///< wall time of the high-resolution run [s]
};

/// Runs both resolutions of white-noise seed `seed`.
SuperResPair make_superres_pair(const SuperResDataOptions& o, std::uint64_t seed);

/// The high-resolution 2LPT particles at a = 1 of seed `seed` ([6, f N, f N, f N]): a baseline.
torch::Tensor superres_lpt_target(const SuperResDataOptions& o, std::uint64_t seed);

/// Writes pairs as an Hdf5FieldDataset file: `fields` (S, 6 + 6 f^3, N, N, N) = the input in
/// channels 0-5 and space_to_depth(target) after it; `params` (S, 3) = (Omega_m, sigma8, seed);
/// root attributes: the options, the input rms (disp_rms, mom_rms [Mpc/h]) and the mean wall
/// times lr_seconds, hr_seconds. Atomic.
void write_superres_data(const std::string& path, const std::vector<SuperResPair>& pairs,
                         const std::vector<std::uint64_t>& seeds, const SuperResDataOptions& o);

/// The options and input rms stored in a super-resolution data file.
struct SuperResDataInfo {
  SuperResDataOptions options;  ///< what the simulations were
  double disp_rms = 0;          ///< rms of the input displacement [Mpc/h]
  double mom_rms = 0;           ///< rms of the input momentum [Mpc/h]
  double lr_seconds = 0;        ///< mean low-resolution run wall time [s]
  double hr_seconds = 0;        ///< mean high-resolution run wall time [s]
};

/// Whether `path` is a super-resolution pair file (has the `factor` attribute); throws
/// std::runtime_error naming the file when it cannot be opened.
bool is_superres_data(const std::string& path);

/// Reads the attributes of write_superres_data(); throws std::runtime_error naming the file
/// and the missing attribute.
SuperResDataInfo read_superres_data_info(const std::string& path);

}  // namespace cosmograd::nn
