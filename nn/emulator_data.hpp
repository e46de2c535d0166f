// Training data of the emulator, made by the engine: for one white noise and cosmology, the 2LPT
// particles at a = 1 (input) and the PM run's particles at a = 1 (target), both as [6, N, N, N]
// fields on the particle lattice; cosmologies on a Latin hypercube in (Omega_m, sigma8).
#pragma once

#include <torch/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/pm/sim_spec.hpp"

namespace cosmograd::nn {

/// What the training simulations are (all stored as attributes of the data file).
struct EmulatorDataOptions {
  double box_size = 128.0;    ///< box side [Mpc/h]
  int particles = 32;         ///< particles per side
  int mesh = 64;              ///< force mesh cells per side
  int steps = 10;             ///< PM time steps, linear in a from a_init to 1
  double a_init = 0.1;        ///< scale factor of the 2LPT initial conditions of the PM run
  double omega_m_min = 0.25;  ///< Latin hypercube range of Omega_m
  double omega_m_max = 0.35;  ///< upper end of Omega_m
  double sigma8_min = 0.7;    ///< Latin hypercube range of sigma8
  double sigma8_max = 0.9;    ///< upper end of sigma8
  int threads = 0;            ///< threads (0: all)
};

/// The run of one pair: planck2015 with Omega_m and sigma8 replaced (Omega_b, h, n_s fixed),
/// Eisenstein & Hu, 2LPT, `steps` linear steps a_init -> 1, white-noise seed `seed`.
sim::SimSpec emulator_sim_spec(const EmulatorDataOptions& o, double omega_m, double sigma8,
                               std::uint64_t seed);

/// One training pair.
struct EmulatorPair {
  torch::Tensor input;     ///< 2LPT at a = 1: [6, N, N, N] float32 (displacement, momentum) [Mpc/h]
  torch::Tensor target;    ///< PM at a = 1, same layout
  double omega_m = 0;      ///< Omega_m of the pair
  double sigma8 = 0;       ///< sigma8 of the pair
  double lpt_seconds = 0;  ///< wall time of the 2LPT evaluation [s]
  double pm_seconds = 0;   ///< wall time of the PM run (ICs, steps) [s]
};

/// Runs 2LPT and the PM simulation of `spec` from one white noise (seed spec.seed).
EmulatorPair make_emulator_pair(const sim::SimSpec& spec);

/// n points of a Latin hypercube (McKay, Beckman & Conover 1979) in [lo0, hi0] x [lo1, hi1]:
/// each axis split in n equal strata, one point per stratum, uniform within it, strata paired
/// by a random permutation; deterministic in `seed`.
std::vector<std::array<double, 2>> latin_hypercube(int n, double lo0, double hi0, double lo1,
                                                   double hi1, std::uint64_t seed);

/// Writes pairs as an Hdf5FieldDataset file: `fields` (S, 12, N, N, N) = input channels 0-5,
/// target channels 6-11; `params` (S, 3) = (Omega_m, sigma8, seed); root attributes: the
/// options, the rms of the input displacement and momentum (disp_rms, mom_rms [Mpc/h]) and
/// the mean wall times lpt_seconds, pm_seconds. Atomic.
void write_emulator_data(const std::string& path, const std::vector<EmulatorPair>& pairs,
                         const std::vector<std::uint64_t>& seeds, const EmulatorDataOptions& o);

/// The options and input rms stored in an emulator data file.
struct EmulatorDataInfo {
  EmulatorDataOptions options;  ///< what the simulations were
  double disp_rms = 0;          ///< rms of the input displacement [Mpc/h]
  double mom_rms = 0;           ///< rms of the input momentum [Mpc/h]
  double lpt_seconds = 0;       ///< mean 2LPT wall time per pair [s]
  double pm_seconds = 0;        ///< mean PM wall time per pair [s]
};

/// Reads the attributes of write_emulator_data(); throws std::runtime_error naming the file
/// and the missing attribute.
EmulatorDataInfo read_emulator_data_info(const std::string& path);

}  // namespace cosmograd::nn
