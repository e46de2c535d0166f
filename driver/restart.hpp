// Restart files of `cosmograd run` (GADGET-4 and SWIFT keep such files; the design follows
// theirs): the particles of every rank after a step, with the step, the configuration they
// belong to and the outputs already written, so that `cosmograd run --resume DIR` continues
// bit for bit. Written by a policy (every N steps or M minutes) and at SIGTERM/SIGINT.
//
// DIR/restart/step_SSSSSS.rank_RRRR.bin   one per rank: a fixed header (magic, version,
//                                         precision, rank, ranks, step, lattice, box, a, config
//                                         hash, particle count, payload checksum), then ids
//                                         (uint64), displacements and momenta (3 per particle,
//                                         float or double), little-endian
// DIR/restart/RESTART.txt                 the commit point: step, steps, a, ranks, precision,
//                                         config hash, the files written so far and the
//                                         configuration lines; written after every rank's file,
//                                         so a kill at any moment leaves the previous restart
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "driver/config.hpp"
#include "sim/mesh/particles.hpp"
#include "sim/mpi/comm.hpp"
#include "sim/pm/step_observer.hpp"

namespace cosmograd::driver {

/// Keys of `cosmograd run` that a resumed run may change (they do not change the results):
/// threads, progress, restart_every, log_level.
const std::vector<std::string>& resume_overridable_keys();

/// The configuration a restart belongs to: the "key = value" lines of `settings_ini` without
/// comments, the output directory and resume_overridable_keys().
std::string restart_config_text(const std::string& settings_ini);

/// What a restart holds besides the particles (DIR/restart/RESTART.txt).
struct RestartInfo {
  int step = 0;                    ///< grid point of the state (steps taken)
  int steps = 0;                   ///< steps of the whole run
  double a = 0;                    ///< scale factor at `step`
  int ranks = 1;                   ///< MPI ranks that wrote it (one file each)
  int scalar_bytes = 4;            ///< 4: float, 8: double
  std::uint64_t config_hash = 0;   ///< FNV-1a 64 of `config`
  std::string config;              ///< restart_config_text() of the run
  std::vector<std::string> files;  ///< outputs written so far, relative to the output directory
};

/// FNV-1a 64 of `text` (the configuration's hash).
std::uint64_t fnv1a64(const std::string& text);

/// DIR/restart.
std::string restart_dir(const std::string& output_dir);

/// Writes this rank's particles `p` and then (rank 0, after a barrier) RESTART.txt for `info`,
/// each atomically, then removes older restart files; collective over `comm`.
template <class T>
void write_restart(const std::string& output_dir, const RestartInfo& info,
                   const sim::Particles<T>& p, const sim::Comm& comm);

/// The restart of `output_dir`; throws std::invalid_argument naming the file and the problem
/// when it is missing or malformed.
RestartInfo read_restart_info(const std::string& output_dir);

/// Throws std::invalid_argument unless a run of configuration `config` (restart_config_text)
/// on `ranks` ranks in precision `scalar_bytes` may continue `info`; names the first
/// differing configuration line.
void check_restart_matches(const RestartInfo& info, const std::string& config, int ranks,
                           int scalar_bytes);

/// This rank's particles of restart `info`: the header checked against `info` and the file
/// size before anything is allocated, the payload against its checksum; throws
/// std::invalid_argument naming the file and what is wrong.
template <class T>
sim::Particles<T> read_restart_particles(const std::string& output_dir, const RestartInfo& info,
                                         const sim::Comm& comm);

/// Removes DIR/restart (a finished run needs it no more).
void remove_restart(const std::string& output_dir);

/// Writes restarts during the steps by `policy` and at a deferred SIGINT/SIGTERM
/// (sim/core/interrupt.hpp), after which it throws sim::Interrupted; the decision is the same
/// on every rank. Put it after the observers that write outputs.
template <class T>
class RestartObserver final : public sim::StepObserver<T> {
 public:
  /// `info` gives steps, ranks, precision and configuration; `files` (outputs written, full
  /// paths under output_dir) is read at each restart.
  RestartObserver(std::string output_dir, RestartPolicy policy, RestartInfo info,
                  const std::vector<std::string>& files, const sim::Comm& comm);
  bool wants_state(int step) const override { return step > 0 && step < info_.steps; }
  void on_state(const sim::StepInfo& info, const sim::Particles<T>& p) override;
  /// Seconds spent writing restarts [s].
  double seconds() const { return seconds_; }
  /// Restarts written.
  int written() const { return written_; }

 private:
  std::string dir_;
  RestartPolicy policy_;
  RestartInfo info_;
  const std::vector<std::string>& files_;
  const sim::Comm& comm_;
  double last_minutes_ = 0;  // run time of the last restart [min]
  double seconds_ = 0;
  int written_ = 0;
};

}  // namespace cosmograd::driver
