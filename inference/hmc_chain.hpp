// Running one HMC chain to its end with atomic checkpoints: the sampler's state, every
// iteration's statistics and recorded quantities, and the running mean and variance of a block
// of values of the position (the white noise) over the kept draws. A chain killed at any point
// resumes from its last checkpoint and ends bit-identical to an uninterrupted one (same seed).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "inference/hmc.hpp"

namespace cosmograd::inference {

/// The quantities recorded after each iteration, from the position q (e.g. the cosmological
/// parameters and a few Fourier modes of the white noise).
using ChainObserver = std::function<std::vector<double>(const std::vector<double>& q)>;

/// A chain's history and state.
struct ChainRun {
  HmcState state;                               ///< the sampler after the last iteration
  std::vector<HmcTransition> transitions;       ///< every iteration, warm-up included
  std::vector<std::vector<double>> quantities;  ///< observer(q) after each iteration
  std::vector<double> field_mean;               ///< mean of field_values(q) over the kept draws
  std::vector<double> field_m2;                 ///< its sum of squared deviations (Welford 1962)
  int kept = 0;                                 ///< kept draws so far
  double seconds = 0;                           ///< wall time of its iterations, all sessions [s]
};

/// How run_chain checkpoints and reports.
struct ChainOptions {
  std::string checkpoint;     ///< checkpoint file (HDF5; empty: none)
  int checkpoint_every = 10;  ///< iterations between checkpoints (>= 1); also written at the end
  std::string identity;       ///< text a checkpoint must carry to be resumed (the run's keys)
  /// The values whose mean and variance are accumulated over the kept draws (e.g. the white
  /// noise of q); empty: none.
  std::function<std::vector<double>(const std::vector<double>& q)> field_values;
  /// Called after every iteration (e.g. progress); may be empty.
  std::function<void(const HmcTransition&, const ChainRun&)> on_iteration;
};

/// Runs a chain from q0 (or resumes it from options.checkpoint when that file exists) to
/// warmup + samples iterations. Throws std::invalid_argument when the checkpoint was written
/// with another identity, naming the file and both identities' first difference.
ChainRun run_chain(const GradLogDensity& target, const std::vector<double>& q0,
                   const HmcOptions& hmc, const ChainObserver& observe,
                   const ChainOptions& options);

/// Writes `run` to `path` atomically (temporary name, then rename) with `identity`.
void write_chain_checkpoint(const std::string& path, const ChainRun& run,
                            const std::string& identity);
/// Reads a checkpoint; throws std::runtime_error naming the file when it is malformed and
/// std::invalid_argument when its identity differs from `identity`.
ChainRun read_chain_checkpoint(const std::string& path, const std::string& identity);

}  // namespace cosmograd::inference
