// What the `cosmograd reconstruct` actions share: the keys of a reconstruction problem
// (simulation + data model), data sets on disk (DIR/data.h5, DIR/data.ini, the truth), and
// running one method on one data set.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "inference/data_model.hpp"
#include "inference/map_estimate.hpp"
#include "inference/reconstruction_metrics.hpp"
#include "sim/core/settings.hpp"
#include "sim/measure/fof.hpp"
#include "sim/pm/sim_spec.hpp"

namespace cosmograd::apps {

/// sim_keys() with CosmicRIM's small defaults (32^3 particles and mesh, 200 Mpc/h, 3 steps,
/// double) plus the data model's keys.
std::vector<sim::KeySpec> reconstruction_problem_keys();

/// The threads of setting "threads" (0: all available), also set as LibTorch's.
int reconstruction_threads(const sim::Settings& s);

/// A reconstruction problem: the simulation and how it is observed.
struct Problem {
  sim::SimSpec spec;                   ///< the forward model
  inference::DataModel model;          ///< the observation (rsd_factor set for spec)
  sim::FofOptions fof;                 ///< halos: FoF of the data
  std::uint64_t noise_seed = 1;        ///< data noise
  std::uint64_t calibration_seed = 0;  ///< halos: seed of the bias-calibration run
};

/// The problem of `s` (keys of reconstruction_problem_keys()); throws naming a bad key.
Problem problem_from(const sim::Settings& s);

/// A data set read back: its problem, the data and, when written, the truth's white noise.
struct DataSet {
  std::string path;                         ///< DIR/data.h5
  sim::Settings settings;                   ///< the keys it was made with (DIR/data.ini)
  Problem problem;                          ///< problem_from(settings), bias and noise as fitted
  sim::Field<double> data;                  ///< the observed field
  std::optional<sim::Field<double>> truth;  ///< white noise of the truth (particle grid)
};

/// Reads DIR/data.h5, DIR/data.ini and DIR/truth_white_noise.h5 (if present) for `path` =
/// DIR/data.h5; throws naming the file that is missing or malformed.
DataSet read_data_set(const std::string& path);

/// The estimate of one method on one data set.
struct Reconstruction {
  std::string label;                      ///< e.g. "L-BFGS-400"
  std::vector<double> white_noise;        ///< particles^3, C order
  std::vector<double> parameters;         ///< the free cosmological parameters' estimates
  std::vector<inference::MapStep> trace;  ///< MAP methods: one entry per evaluation
  int iterations = 0;                     ///< optimiser iterations or RIM updates done
  int evaluations = 0;                    ///< engine forward-and-adjoint evaluations
  double seconds = 0;                     ///< wall time [s]
};

/// What `reconstruct` runs: method lbfgs, adam or rim (with `model_path`), its iterations,
/// Adam's learning rate and the annealing radii [Mpc/h].
struct MethodSpec {
  std::string method = "lbfgs";       ///< lbfgs, adam or rim
  int iterations = 100;               ///< optimiser iterations, or RIM updates
  double learning_rate = 0.1;         ///< Adam
  std::vector<double> anneal;         ///< smoothing radii [Mpc/h] (empty: none)
  std::string model_path;             ///< RIM model file
  std::string label;                  ///< name in tables ("" : made from the method)
  std::vector<sim::CosmoParam> free;  ///< cosmological parameters fitted with the noise (MAP)
};

/// The parameters named in a comma-separated list of setting `key` (e.g. "Omega_m,sigma8");
/// throws naming the key and the allowed names.
std::vector<sim::CosmoParam> parse_free_parameters(const std::string& key, const std::string& list);

/// Runs `m` on `d` with `threads` threads.
Reconstruction reconstruct(const DataSet& d, const MethodSpec& m, int threads, bool verbose);

/// r(k), T(k) of the reconstruction's linear field against the truth's (d.truth required).
inference::TransferComparison compare_to_truth(const DataSet& d,
                                               const std::vector<double>& white_noise, int threads);

}  // namespace cosmograd::apps
